package dev.initkit.cli.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.cli.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, item 3: an output that reaches an input another way (the HTML report over the model, a
 * weights file inside an unzipped input, a link to the input) is refused by every command, even
 * with --force: exit 2, one line, every input byte for byte as before.
 */
class OutputSafetyCommandTest {
  @Test
  void noOutputReachesAnInput(@TempDir Path dir) throws IOException {
    Path h5 = Files.copy(Cli.model("mlp", "keras3.h5"), dir.resolve("m.h5"));
    Path kdir = dir.resolve("kdir");
    Cli.copyTree(Cli.model("mlp", "keras3_unzipped"), kdir);
    Path keras = Files.copy(Cli.model("mlp", "keras3.keras"), dir.resolve("m.keras"));
    Path alias = Files.createSymbolicLink(dir.resolve("alias.h5"), h5);
    Map<String, String> before = digests(dir);
    List<Object[]> runs =
        List.of(
            new Object[] {"report", h5, "--html", h5, "--force"},
            new Object[] {"report", h5, "--html", alias, "--force"},
            new Object[] {"analyze", h5, "--html", h5, "--force"},
            new Object[] {"convert", h5, "-o", alias, "--force"},
            new Object[] {"convert", kdir, "-o", kdir.resolve("model.weights.h5"), "--force"},
            new Object[] {"convert", kdir, "-o", kdir.resolve("extra.h5"), "--force"},
            new Object[] {"reinit", kdir, "-o", kdir.resolve("model.weights.h5"), "--force"},
            new Object[] {
              "set-init",
              kdir,
              "-o",
              kdir.resolve("model.weights.h5"),
              "--rule",
              "all=zeros",
              "--force"
            },
            new Object[] {
              "transplant",
              "--from",
              keras,
              "--to",
              kdir,
              "-o",
              kdir.resolve("model.weights.h5"),
              "--force"
            },
            new Object[] {"convert", kdir, "-o", dir, "--to", "keras", "--unzipped", "--force"});
    for (Object[] args : runs) {
      Cli.Result r = Cli.run(args);
      String line = r.assertOneErrorLine();
      assertEquals(2, r.exitCode(), () -> List.of(args) + ": " + r.err());
      assertTrue(
          line.contains("is the input")
              || line.contains("inside the input")
              || line.contains("contains the input"),
          line);
      assertEquals(before, digests(dir), () -> "an input changed: " + List.of(args));
    }
  }

  private static Map<String, String> digests(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(Files::isRegularFile).forEach(files::add);
    }
    for (Path f : files) {
      out.put(dir.relativize(f).toString(), Cli.sha256(f));
    }
    return out;
  }
}

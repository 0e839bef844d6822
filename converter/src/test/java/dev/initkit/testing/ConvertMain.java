package dev.initkit.testing;

import dev.initkit.ModelIO;
import dev.initkit.model.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Converts IN to OUT in a fresh JVM and prints its peak resident memory (for streaming tests). */
public final class ConvertMain {
  private ConvertMain() {}

  public static void main(String[] args) throws Exception {
    try (LoadedModel m = ModelIO.open(Path.of(args[0]))) {
      ModelIO.write(m, Path.of(args[1]), ModelIO.WriteOptions.defaults());
    }
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        System.out.println("peak_rss_kb=" + line.replaceAll("\\D+", ""));
      }
    }
  }
}

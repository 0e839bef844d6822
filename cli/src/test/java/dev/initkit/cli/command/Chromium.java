package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium (Debian package {@code chromium}; {@code scripts/install-chromium.sh} installs
 * it for CI). The test is skipped when no browser is found: {@code initkit.chromium} names one,
 * else {@code chromium}, {@code chromium-browser} or {@code google-chrome} on the PATH.
 */
final class Chromium {
  private Chromium() {}

  /** What a page did: its DOM after the scripts ran, and the console messages it logged. */
  record Page(String dom, List<String> console) {}

  static String executable() {
    String p = System.getProperty("initkit.chromium", "");
    if (!p.isBlank()) {
      return p;
    }
    for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        if (Files.isExecutable(Path.of(dir, name))) {
          return Path.of(dir, name).toString();
        }
      }
    }
    assumeTrue(
        false,
        "no chromium found (scripts/install-chromium.sh installs it): browser check skipped");
    return null;
  }

  /** Loads the page, with the console going to the log; returns the DOM and the console lines. */
  static Page load(Path html) throws IOException, InterruptedException {
    Path log = Files.createTempFile("chromium", ".log");
    Path profile = Files.createTempDirectory("chromium-profile");
    try {
      List<String> cmd = new ArrayList<>(base(profile));
      cmd.add("--dump-dom");
      cmd.add(html.toUri().toString());
      Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
      String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
      List<String> console =
          Files.readAllLines(log, StandardCharsets.UTF_8).stream()
              .filter(l -> l.contains(":CONSOLE"))
              .toList();
      return new Page(dom, console);
    } finally {
      Files.deleteIfExists(log);
      deleteTree(profile);
    }
  }

  /** Takes a screenshot of the page. */
  static void screenshot(Path html, Path png) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory("chromium-profile");
    try {
      List<String> cmd = new ArrayList<>(base(profile));
      cmd.add("--window-size=1200,1600");
      cmd.add("--screenshot=" + png.toAbsolutePath());
      cmd.add(html.toUri().toString());
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
    } finally {
      deleteTree(profile);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private static List<String> base(Path profile) {
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start; a fresh profile per
    // run
    return List.of(
        executable(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        "--user-data-dir=" + profile);
  }
}

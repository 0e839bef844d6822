package dev.initkit.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Both ends of the version matrix an interop suite runs under: {@code pinned} ({@code
 * -Dinitkit.python}, testdata/requirements.txt) and, when set up, {@code newest} ({@code
 * -Dinitkit.pythonNewest}, testdata/requirements-newest.txt). Skips the caller without the first; a
 * property naming a missing interpreter is a failure.
 */
public final class PythonStacks {
  private PythonStacks() {}

  /** Stack name to python executable, pinned first. */
  public static Map<String, String> all() {
    Map<String, String> out = new LinkedHashMap<>();
    String python = System.getProperty("initkit.python", "");
    assumeTrue(
        !python.isEmpty(),
        "set -Dinitkit.python to the testdata venv's python to run the interop suite");
    assertTrue(Files.isExecutable(Path.of(python)), "interop python not found: " + python);
    out.put("pinned", python);
    String newest = System.getProperty("initkit.pythonNewest", "");
    if (!newest.isEmpty()) {
      assertTrue(Files.isExecutable(Path.of(newest)), "newest-stack python not found: " + newest);
      out.put("newest", newest);
    }
    return out;
  }
}

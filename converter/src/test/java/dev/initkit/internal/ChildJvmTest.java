package dev.initkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.testing.TestFiles;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The child-JVM harness on real children: a native crash is described by its signal, frame and Java
 * frames from the JVM's own error report; a hung child is killed; closing a running child kills it;
 * native math is single-threaded in the child.
 */
class ChildJvmTest {
  @TempDir Path dir;

  /** The child: {@code crash} writes to address 0 (SIGSEGV), {@code hang} sleeps, else prints. */
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "crash" -> crash();
      case "hang" -> Thread.sleep(120_000);
      default -> System.out.println("OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS"));
    }
  }

  private static void crash() throws ReflectiveOperationException {
    java.lang.reflect.Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
    f.setAccessible(true);
    Object unsafe = f.get(null);
    unsafe
        .getClass()
        .getMethod("putAddress", long.class, long.class)
        .invoke(unsafe, 0L, 42L); // a native write to address 0: SIGSEGV in the JVM
  }

  private static ChildJvm jvm() {
    return ChildJvm.ofThisJvm(List.of("-Xmx64m", "-XX:-CreateCoredumpOnCrash", "-Xshare:auto"))
        .withClassPath(TestFiles.childClassPath());
  }

  private ChildJvm.Child start(String what) throws Exception {
    return jvm()
        .start(
            dir,
            false,
            ChildJvmTest.class.getName(),
            List.of(what),
            Redirect.to(dir.resolve("out.log").toFile()),
            null);
  }

  @Test
  void aNativeCrashIsDescribedFromTheJvmErrorReport() throws Exception {
    try (ChildJvm.Child c = start("crash")) {
      assertTrue(c.waitFor(60_000), "the crashing child exits");
      // without a core dump the JVM's error handler exits 1 rather than abort (134, as DL4J's do)
      assertTrue(c.exitValue() != 0, c.exitDescription());
      assertEquals(
          "exit code " + c.exitValue() + ChildJvm.signalName(c.exitValue()), c.exitDescription());
      String report = c.crashReport().orElseThrow();
      assertTrue(report.startsWith("SIGSEGV"), report);
      assertTrue(report.contains("java "), report);
      assertFalse(report.contains("pid="), report);
    }
  }

  @Test
  void aHungChildIsKilledAndClosingARunningChildKillsIt() throws Exception {
    ProcessHandle handle;
    try (ChildJvm.Child c = start("hang")) {
      handle = c.process().toHandle();
      assertFalse(c.waitFor(300), "still running");
      c.kill();
      assertFalse(handle.isAlive());
      assertTrue(c.crashReport().isEmpty(), "a kill is not a crash: no JVM error report");
    }
    try (ChildJvm.Child c = start("hang")) {
      handle = c.process().toHandle();
    }
    assertFalse(handle.isAlive(), "close() kills what still runs");
  }

  @Test
  void nativeMathRunsOnOneThreadInTheChild() throws Exception {
    try (ChildJvm.Child c = start("env")) {
      assertTrue(c.waitFor(60_000));
      assertEquals(0, c.exitValue());
    }
    assertEquals(
        "OMP_NUM_THREADS=1",
        Files.readString(dir.resolve("out.log"), StandardCharsets.UTF_8).strip());
  }

  @Test
  void crashSummaryReadsSignalFrameAndJavaFrames() {
    List<String> report =
        List.of(
            "#",
            "#  SIGSEGV (0xb) at pc=0x00007f, pid=123, tid=456",
            "# Problematic frame:",
            "# C  [libnd4jcpu.so+0x1234]  sd::ops::foo",
            "Java frames: (J=compiled Java code, j=interpreted, Vv=VM code)",
            "j  org.nd4j.Native.exec(J)V+0",
            "j  org.deeplearning4j.Keras.import()V+5",
            "J 12 c2 a.b.C.d(Ljava/lang/String;)V (5 bytes) @ 0x1 [0x2+0x3]",
            "j  x.y.Z.main()V+1",
            "");
    assertEquals(
        "SIGSEGV (0xb) at pc=0x00007f; in C  [libnd4jcpu.so+0x1234]  sd::ops::foo;"
            + " java org.nd4j.Native.exec(J)V+0 < org.deeplearning4j.Keras.import()V+5"
            + " < 12 c2 a.b.C.d",
        ChildJvm.crashSummary(report).orElseThrow());
    assertTrue(ChildJvm.crashSummary(List.of("nothing", "useful")).isEmpty());
  }
}

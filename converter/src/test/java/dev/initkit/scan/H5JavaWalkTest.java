package dev.initkit.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pure-Java structure walk changes nothing the scan reports: with it and without it (every file
 * walked natively) the scanner gives the same findings, messages and errors on the hostile files,
 * the bundled models and the corpus; it calls every hostile HDF5 structure unclean (so the native
 * walk reports it); and it does call the ordinary files clean (else it would only cost).
 */
class H5JavaWalkTest {
  private static final Scanner.Options OPTIONS =
      Scanner.Options.defaults().withThreads(2).withHealth(false);

  private static List<String> scan(List<Path> roots, boolean javaWalk) throws Exception {
    List<String> out = new ArrayList<>();
    new Scanner(OPTIONS, javaWalk)
        .scan(
            roots,
            r -> {
              out.add(r.path() + " " + r.format() + " error=" + r.error());
              r.findings().forEach(f -> out.add("  " + f));
            });
    return out;
  }

  /** Equal lists, or a failure naming the lines only one of them has. */
  private static void same(List<String> nativeOnly, List<String> withJava) {
    List<String> onlyNative = new ArrayList<>(nativeOnly);
    onlyNative.removeAll(withJava);
    List<String> onlyJava = new ArrayList<>(withJava);
    onlyJava.removeAll(nativeOnly);
    assertEquals(List.of(), onlyNative, "only without the Java walk (with it: " + onlyJava + ")");
    assertEquals(nativeOnly, withJava);
  }

  @Test
  void findingsEqualTheNativeWalksOnTestdataAndTheCorpus() throws Exception {
    List<Path> roots = new ArrayList<>();
    roots.add(TestFiles.testdata().resolve("scan"));
    roots.add(TestFiles.testdata().resolve("models"));
    same(scan(roots, false), scan(roots, true));
    List<Path> corpus = List.of(TestFiles.corpus());
    List<String> nativeOnly = scan(corpus, false);
    assertTrue(nativeOnly.size() > 100, "the corpus was scanned: " + nativeOnly.size());
    same(nativeOnly, scan(corpus, true));
  }

  /**
   * Bit flips and overwritten bytes in the test data's HDF5 files (hostile ones included; 400
   * inputs, a fixed seed): the Java walk never throws or hangs, and never misses a rule the native
   * walk raises. The two may differ only in {@code unreadable}: damage libhdf5 refuses and jhdf
   * reads past (a local heap's free list, a misaligned header message), which the loader cannot
   * load either (6000 inputs measured: 244 such, none other).
   */
  @Test
  void damagedFilesNeverHideARuleFromTheJavaWalk(@TempDir Path tmp) throws Exception {
    List<Path> sources;
    try (Stream<Path> s = Files.walk(TestFiles.testdata())) {
      sources = s.filter(p -> p.toString().endsWith(".h5")).sorted().toList();
    }
    Scanner.Options o = OPTIONS.withThreads(1);
    Scanner nativeOnly = new Scanner(o, false);
    Scanner withJava = new Scanner(o, true);
    Random random = new Random(23);
    int clean = 0;
    for (int i = 0; i < 400; i++) {
      byte[] b = Files.readAllBytes(sources.get(random.nextInt(sources.size())));
      for (int k = 1 + random.nextInt(16); k > 0; k--) {
        int at = random.nextInt(random.nextBoolean() ? Math.min(b.length, 4096) : b.length);
        b[at] =
            (byte) (random.nextBoolean() ? random.nextInt(256) : b[at] ^ (1 << random.nextInt(8)));
      }
      Path f = tmp.resolve(i + ".h5");
      Files.write(f, b);
      H5JavaWalk.Outcome walked =
          assertTimeoutPreemptively(Duration.ofSeconds(10), () -> H5JavaWalk.file(f, true));
      if (walked.clean()) {
        clean++;
      }
      Set<String> want = rules(nativeOnly.scan(f));
      Set<String> got = rules(withJava.scan(f));
      want.remove("unreadable");
      got.remove("unreadable");
      assertTrue(got.containsAll(want), f + ": native " + want + ", with the Java walk " + got);
      Files.delete(f);
    }
    assertTrue(clean > 50, "damaged files the Java walk still read through: " + clean);
  }

  private static Set<String> rules(FileScan r) {
    Set<String> out = new java.util.TreeSet<>();
    r.findings().forEach(f -> out.add(f.rule()));
    return out;
  }

  @Test
  void everyHostileStructureIsLeftToTheNativeWalk() {
    Path scan = TestFiles.testdata().resolve("scan");
    for (String name :
        List.of(
            "h5_external_link.h5",
            "h5_external_storage.h5",
            "h5_shape_bomb.h5",
            "h5_gzip_bomb.h5",
            "h5_virtual.h5")) {
      H5JavaWalk.Outcome o = H5JavaWalk.file(scan.resolve(name), true);
      assertFalse(o.clean(), name);
    }
    // gzip chunks are read from the header's filter pipeline (jhdf's own filter list would load
    // the LZF and LZ4 codecs, which are not on the class path)
    H5JavaWalk.Outcome gzip = H5JavaWalk.file(scan.resolve("h5_gzip.h5"), true);
    assertTrue(gzip.clean(), gzip.why());
    // not HDF5 at all
    assertFalse(H5JavaWalk.file(scan.resolve("zip_disguised.keras"), true).clean());
  }

  @Test
  void ordinaryKerasFilesAreWalkedInJava() throws Exception {
    List<Path> h5;
    try (Stream<Path> s = Files.walk(TestFiles.testdata().resolve("models"))) {
      h5 =
          s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".h5"))
              .sorted()
              .toList();
    }
    assertTrue(h5.size() > 50, "bundled .h5 files: " + h5.size());
    int clean = 0;
    List<String> left = new ArrayList<>();
    for (Path p : h5) {
      H5JavaWalk.Outcome o = H5JavaWalk.file(p, true);
      if (o.clean()) {
        clean++;
      } else {
        left.add(TestFiles.testdata().relativize(p) + ": " + o.why());
      }
    }
    // jhdf 0.13 cannot read the opaque bfloat16/float8 datatypes ml_dtypes writes: those go native
    for (String l : left) {
      assertTrue(
          Set.of("bfloat16", "float8").stream().anyMatch(l::contains),
          "walked natively for no known reason: " + l);
    }
    assertTrue(clean > h5.size() - 10, clean + " of " + h5.size() + " clean: " + left);
    // a full model's config comes with the walk
    H5JavaWalk.Outcome mlp =
        H5JavaWalk.file(TestFiles.testdata().resolve("models/mlp/tfkeras.h5"), true);
    assertTrue(mlp.clean(), mlp.why());
    assertTrue(mlp.modelConfig().contains("\"class_name\""), mlp.modelConfig());
  }
}

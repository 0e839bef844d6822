package dev.initkit.transplant;

import dev.initkit.MalformedModelException;
import dev.initkit.internal.Glob;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An explicit source-to-target layer mapping, one rule a line: {@code SOURCE -> TARGET}, where both
 * sides are layer paths (nested models' names joined by {@code /}) and {@code *} matches any run of
 * characters. The text a target's {@code *}s matched fills the source's {@code *}s in order, so
 * {@code encoder/* -> backbone/*} maps {@code backbone/conv1} to {@code encoder/conv1}; a source
 * with more {@code *}s than its target must match exactly one source layer. {@code #} starts a
 * comment; blank lines are ignored. The first rule whose target matches a layer decides; a rule
 * {@code - -> TARGET} leaves the matching layers unmapped. Lines with {@code =>} are {@link
 * TensorRule tensor rules}, which name source tensors by key and target weights by address, with
 * transforms; they decide the weights they name first. Immutable and thread-safe.
 */
public final class LayerMapping {
  /** The largest mapping file read, in bytes. */
  static final long MAX_BYTES = 4L * 1024 * 1024;

  /** One rule. */
  public record Rule(String source, String target, int line) {
    public Rule {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(target, "target");
    }
  }

  private final List<Rule> rules;
  private final List<TensorRule> tensorRules;
  private final List<Glob> targetGlobs;
  private final String origin;

  private LayerMapping(List<Rule> rules, List<TensorRule> tensorRules, String origin) {
    this.rules = List.copyOf(rules);
    this.tensorRules = List.copyOf(tensorRules);
    this.origin = origin;
    this.targetGlobs = this.rules.stream().map(r -> Glob.stars(r.target())).toList();
  }

  /** The rules in file order. */
  public List<Rule> rules() {
    return rules;
  }

  /**
   * The tensor rules ({@code SOURCES => TARGET | STEP ...}) in file order: they decide the target
   * weights they name before the layer rules pair the rest.
   */
  public List<TensorRule> tensorRules() {
    return tensorRules;
  }

  /** Where the rules came from (a file name), for messages. */
  public String origin() {
    return origin;
  }

  /**
   * Reads a mapping file.
   *
   * @throws MalformedModelException naming the file and line of a rule that does not parse
   * @throws IOException when the file cannot be read
   */
  public static LayerMapping read(Path file) throws IOException {
    // bounded whatever the file system says of its size (--map /dev/zero)
    String text = dev.initkit.internal.BoundedText.readFile(file, MAX_BYTES, file, "");
    try {
      return parse(text, file.toString());
    } catch (IllegalArgumentException e) {
      throw new MalformedModelException(file, "", e.getMessage());
    }
  }

  /** The names of the mapping files shipped with initkit ({@link #shipped}). */
  public static final List<String> SHIPPED =
      List.of("torch-cnn", "bert", "torch-lstm", "torch-gru", "torch-transformer");

  /**
   * A mapping file shipped with initkit, by name: {@code torch-cnn} (a PyTorch/timm-style CNN),
   * {@code bert} (a BERT-style encoder), {@code torch-lstm}, {@code torch-gru}, {@code
   * torch-transformer} (nn.TransformerEncoderLayer, nn.MultiheadAttention)
   * (docs/transplant-mappings.md).
   *
   * @throws IllegalArgumentException for another name, listing the shipped ones
   */
  public static LayerMapping shipped(String name) {
    if (!SHIPPED.contains(name)) {
      throw new IllegalArgumentException(
          "no shipped mapping '" + name + "' (shipped: " + String.join(", ", SHIPPED) + ")");
    }
    try (java.io.InputStream in =
        LayerMapping.class.getResourceAsStream("mappings/" + name + ".map")) {
      if (in == null) {
        throw new IllegalStateException("the shipped mapping " + name + " is missing");
      }
      return parse(
          new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
          "shipped mapping " + name);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Parses mapping text.
   *
   * @throws IllegalArgumentException naming the line that is not {@code SOURCE -> TARGET}
   */
  public static LayerMapping parse(String text, String origin) {
    List<Rule> rules = new ArrayList<>();
    List<TensorRule> tensorRules = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String l = lines[i];
      int hash = l.indexOf('#');
      if (hash >= 0) {
        l = l.substring(0, hash);
      }
      l = l.strip();
      if (l.isEmpty()) {
        continue;
      }
      int fat = l.indexOf("=>");
      if (fat >= 0) {
        try {
          tensorRules.add(TensorRule.parse(l, fat, i + 1));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
        }
        continue;
      }
      int arrow = l.indexOf("->");
      if (arrow < 0 || l.indexOf("->", arrow + 2) >= 0) {
        throw new IllegalArgumentException(
            "line " + (i + 1) + ": expected 'SOURCE -> TARGET', found '" + l + "'");
      }
      String s = l.substring(0, arrow).strip();
      String t = l.substring(arrow + 2).strip();
      if (s.isEmpty() || t.isEmpty()) {
        throw new IllegalArgumentException(
            "line " + (i + 1) + ": expected 'SOURCE -> TARGET' with both sides non-empty");
      }
      if (!s.equals("-") && count(s) < count(t)) {
        throw new IllegalArgumentException(
            "line "
                + (i + 1)
                + ": the source '"
                + s
                + "' has fewer * than the target '"
                + t
                + "': every * of the target must fill one of the source");
      }
      rules.add(new Rule(s, t, i + 1));
    }
    if (rules.isEmpty() && tensorRules.isEmpty()) {
      throw new IllegalArgumentException(
          "no rule: expected lines 'SOURCE -> TARGET' or 'SOURCES => TARGET | STEP...'");
    }
    return new LayerMapping(rules, tensorRules, origin);
  }

  /** What the mapping says for one target layer. */
  public record Resolution(Rule rule, String sourcePath, String problem) {
    /** True when a source layer was found. */
    public boolean found() {
      return sourcePath != null;
    }
  }

  /**
   * The source layer path for a target layer path, among the given source paths; empty when no rule
   * matches the target.
   */
  public Optional<Resolution> resolve(String targetPath, List<String> sourcePaths) {
    for (int i = 0; i < rules.size(); i++) {
      List<String> stars = targetGlobs.get(i).captures(targetPath);
      if (stars == null) {
        continue;
      }
      Rule r = rules.get(i);
      if (r.source().equals("-")) {
        return Optional.of(
            new Resolution(r, null, "unmapped by line " + r.line() + " of " + origin));
      }
      StringBuilder filled = new StringBuilder();
      int g = 0;
      for (char c : r.source().toCharArray()) {
        if (c == '*' && g < stars.size()) {
          filled.append(stars.get(g++));
        } else {
          filled.append(c);
        }
      }
      String want = filled.toString();
      if (want.indexOf('*') < 0) {
        return Optional.of(
            sourcePaths.contains(want)
                ? new Resolution(r, want, null)
                : new Resolution(
                    r,
                    null,
                    "line "
                        + r.line()
                        + " of "
                        + origin
                        + " names source layer '"
                        + want
                        + "', which the source does not have"));
      }
      Glob p = Glob.stars(want);
      List<String> hits = sourcePaths.stream().filter(p::matches).toList();
      if (hits.size() == 1) {
        return Optional.of(new Resolution(r, hits.get(0), null));
      }
      return Optional.of(
          new Resolution(
              r,
              null,
              "line "
                  + r.line()
                  + " of "
                  + origin
                  + ": source '"
                  + want
                  + "' matches "
                  + (hits.isEmpty()
                      ? "no layer"
                      : hits.size()
                          + " layers ("
                          + String.join(", ", hits.subList(0, Math.min(3, hits.size())))
                          + ")")));
    }
    return Optional.empty();
  }

  private static int count(String s) {
    return (int) s.chars().filter(c -> c == '*').count();
  }
}

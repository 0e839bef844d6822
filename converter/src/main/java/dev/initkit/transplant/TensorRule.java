package dev.initkit.transplant;

import dev.initkit.internal.Glob;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One tensor rule of a mapping file: {@code SOURCES => TARGET | STEP | STEP ...}. The first source
 * is a pattern over source tensor keys (a {@code *} glob, or {@code re:} and a Java regular
 * expression matched against the whole key); what its {@code *}s or groups captured fills {@code
 * $1}, {@code $2}, ... in the other sources and in the target. Several sources are joined by {@code
 * +} (summed) or {@code ,} (the first step then says how: {@code concat(axis)} or {@code
 * stack(axis)}). The target is a target weight's address, layer path + {@code /} + the weight's
 * name inside its layer ({@code encoder/mha/query/kernel}). Immutable.
 *
 * @param sources the source patterns, in order; the first drives the match
 * @param sum true when the sources are joined by {@code +}
 * @param target the target address, with {@code $n} references
 * @param steps the transforms, applied in order
 * @param line the line of the mapping file
 */
public record TensorRule(
    List<String> sources, boolean sum, String target, List<Step> steps, int line) {
  public TensorRule {
    sources = List.copyOf(sources);
    steps = List.copyOf(steps);
    Objects.requireNonNull(target, "target");
  }

  /**
   * One transform: {@code transpose}, {@code permute}, {@code reshape}, {@code split}, {@code
   * gates}, {@code cast}, {@code concat}, {@code stack}.
   *
   * @param name the transform
   * @param args its arguments as written
   */
  public record Step(String name, List<String> args) {
    public Step {
      Objects.requireNonNull(name, "name");
      args = List.copyOf(args);
    }

    @Override
    public String toString() {
      return args.isEmpty() ? name : name + "(" + String.join(",", args) + ")";
    }
  }

  private static final Pattern STEP = Pattern.compile("([a-z]+)\\s*(?:\\((.*)\\))?");
  private static final Pattern REF = Pattern.compile("\\$(\\d+)");

  /** The transform chain as reports print it, e.g. {@code transpose(1,0) | reshape(target)}. */
  public String chain() {
    StringBuilder b = new StringBuilder(sum && sources.size() > 1 ? "sum" : "");
    for (Step s : steps) {
      b.append(b.length() == 0 ? "" : " | ").append(s);
    }
    return b.toString();
  }

  /**
   * The captures of a source key under the first pattern, {@code $0} being the key, null when it
   * does not match; compiled once per call of this method (a rule is tried against every key).
   */
  java.util.function.Function<String, List<String>> captures() {
    String p = sources.get(0);
    if (p.startsWith("re:")) {
      Pattern re = Pattern.compile(p.substring(3));
      return key -> {
        Matcher m = re.matcher(key);
        if (!m.matches()) {
          return null;
        }
        List<String> out = new ArrayList<>();
        for (int g = 0; g <= m.groupCount(); g++) {
          out.add(m.group(g) == null ? "" : m.group(g));
        }
        return out;
      };
    }
    Glob glob = Glob.stars(p);
    return key -> {
      List<String> stars = glob.captures(key);
      if (stars == null) {
        return null;
      }
      List<String> out = new ArrayList<>();
      out.add(key);
      out.addAll(stars);
      return out;
    };
  }

  /** {@code template} with {@code $n} replaced by capture n. */
  static String fill(String template, List<String> captures) {
    Matcher m = REF.matcher(template);
    StringBuilder b = new StringBuilder();
    while (m.find()) {
      int n = Integer.parseInt(m.group(1));
      m.appendReplacement(b, Matcher.quoteReplacement(n < captures.size() ? captures.get(n) : ""));
    }
    m.appendTail(b);
    return b.toString();
  }

  /**
   * Parses the text of a rule, {@code =>} at {@code arrow}.
   *
   * @throws IllegalArgumentException saying what is wrong (the caller adds file and line)
   */
  static TensorRule parse(String l, int arrow, int line) {
    String left = l.substring(0, arrow).strip();
    String[] right = l.substring(arrow + 2).split("\\|", -1);
    String target = right[0].strip();
    if (left.isEmpty() || target.isEmpty()) {
      throw new IllegalArgumentException("expected 'SOURCES => TARGET [| STEP]...'");
    }
    boolean sum = false;
    String[] parts;
    if (left.matches("(?s).*\\s\\+\\s.*")) {
      sum = true;
      parts = left.split("\\s+\\+\\s+");
    } else {
      parts = left.split("\\s*,\\s+");
    }
    List<String> sources = new ArrayList<>();
    for (String p : parts) {
      p = p.strip();
      if (p.isEmpty()) {
        throw new IllegalArgumentException("an empty source");
      }
      if (p.startsWith("re:")) {
        try {
          Pattern.compile(p.substring(3));
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException(
              "invalid regular expression '" + p.substring(3) + "': " + e.getDescription());
        }
      }
      sources.add(p);
    }
    int groups = groups(sources.get(0));
    for (String s : sources.subList(1, sources.size())) {
      if (s.startsWith("re:") || s.contains("*")) {
        throw new IllegalArgumentException(
            "only the first source is a pattern; the others name one key, with $n from the first: '"
                + s
                + "'");
      }
    }
    for (String s : sources) {
      checkRefs(s, groups);
    }
    checkRefs(target, groups);
    List<Step> steps = new ArrayList<>();
    for (int i = 1; i < right.length; i++) {
      steps.add(step(right[i].strip(), i == 1, sources.size(), sum));
    }
    boolean combined = !steps.isEmpty() && combines(steps.get(0).name());
    if (sources.size() > 1 && !sum && !combined) {
      throw new IllegalArgumentException(
          "several sources joined by ',' need concat(axis) or stack(axis) as the first step");
    }
    if (combined && (sources.size() < 2 || sum)) {
      throw new IllegalArgumentException(
          steps.get(0).name() + " joins several sources separated by ', '");
    }
    return new TensorRule(sources, sum, target, steps, line);
  }

  private static boolean combines(String name) {
    return name.equals("concat") || name.equals("stack");
  }

  private static int groups(String pattern) {
    if (pattern.startsWith("re:")) {
      return Pattern.compile(pattern.substring(3)).matcher("").groupCount();
    }
    return (int) pattern.chars().filter(c -> c == '*').count();
  }

  private static void checkRefs(String s, int groups) {
    Matcher m = REF.matcher(s);
    while (m.find()) {
      int n = Integer.parseInt(m.group(1));
      if (n > groups) {
        throw new IllegalArgumentException(
            "'"
                + s
                + "' refers to $"
                + n
                + ", but the first source captures "
                + groups
                + (groups == 1 ? " group" : " groups"));
      }
    }
  }

  private static Step step(String text, boolean first, int nSources, boolean sum) {
    Matcher m = STEP.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "expected a step like transpose(1,0), found '" + text + "'");
    }
    String name = m.group(1).toLowerCase(Locale.ROOT);
    List<String> args = new ArrayList<>();
    if (m.group(2) != null && !m.group(2).isBlank()) {
      for (String a : m.group(2).split(",")) {
        args.add(a.strip());
      }
    }
    String usage =
        switch (name) {
          case "transpose" ->
              args.isEmpty() || ints(args) ? null : "transpose or transpose(a,b,...)";
          case "permute" -> !args.isEmpty() && ints(args) ? null : "permute(a,b,...)";
          case "reshape" ->
              reshapeArgs(args) ? null : "reshape(d,...) with ints, -1 or tN, or reshape(target)";
          case "split" ->
              args.size() == 3 && ints(args) && splitOk(args)
                  ? null
                  : "split(axis, n, i) with 0 <= i < n";
          case "gates" ->
              gatesOk(args)
                  ? null
                  : "gates(FROM, TO, axis): TO a reordering of the letters of FROM";
          case "cast" ->
              args.size() == 1 && dtype(args.get(0)) ? null : "cast(dtype), e.g. cast(float32)";
          case "concat", "stack" -> args.size() == 1 && ints(args) ? null : name + "(axis)";
          default -> "";
        };
    if ("".equals(usage)) {
      throw new IllegalArgumentException(
          "unknown step '"
              + name
              + "' (transpose, permute, reshape, split, gates, cast, concat, stack)");
    }
    if (usage != null) {
      throw new IllegalArgumentException("expected " + usage + ", found '" + text + "'");
    }
    if (combines(name) && !first) {
      throw new IllegalArgumentException(name + " joins the sources: it comes first");
    }
    return new Step(name, args);
  }

  private static boolean ints(List<String> args) {
    return args.stream().allMatch(a -> a.matches("-?\\d{1,9}"));
  }

  private static boolean splitOk(List<String> a) {
    int n = Integer.parseInt(a.get(1));
    int i = Integer.parseInt(a.get(2));
    return n > 0 && i >= 0 && i < n;
  }

  private static boolean reshapeArgs(List<String> args) {
    if (args.size() == 1 && args.get(0).equals("target")) {
      return true;
    }
    return !args.isEmpty()
        && args.stream().allMatch(a -> a.matches("\\d{1,12}|-1|t\\d{1,2}"))
        && args.stream().filter("-1"::equals).count() <= 1;
  }

  private static boolean gatesOk(List<String> a) {
    if (a.size() != 3 || !a.get(2).matches("-?\\d{1,9}") || a.get(0).isEmpty()) {
      return false;
    }
    char[] x = a.get(0).toCharArray();
    char[] y = a.get(1).toCharArray();
    java.util.Arrays.sort(x);
    java.util.Arrays.sort(y);
    return java.util.Arrays.equals(x, y)
        && a.get(0).chars().distinct().count() == a.get(0).length();
  }

  private static boolean dtype(String s) {
    try {
      dev.initkit.model.DType.fromKerasName(s);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }
}

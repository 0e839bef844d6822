package dev.initkit.transplant;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A tensor rule read backwards: which target addresses its target template matches (each {@code $n}
 * constrained by what group n of the source pattern accepts), and the source key its pattern
 * matches for given captures. A regular expression is written as its literal text, with each
 * capture group the target names replaced by the captured value; outside those groups only
 * literals, escaped punctuation, {@code \Q...\E}, anchors, alternatives (the first one that can be
 * written) and quantifiers (written their least number of times: {@code ?} and {@code *} none,
 * {@code +} once, {@code {m,n}} m times) can be written. A glob's {@code *}s take their captures.
 * Immutable.
 */
final class KeyWriter {
  private static final Pattern REF = Pattern.compile("\\$(\\d+)");

  private final TensorRule rule;
  private final Node.Seq parsed; // null for a glob, or a regex the parser does not read
  private final String parseProblem;
  private final Pattern target;
  private final List<Integer> targetGroups; // the $n of the target, in order of first use
  private final int literalChars;

  KeyWriter(TensorRule rule) {
    this.rule = rule;
    String src = rule.sources().get(0);
    Map<Integer, String> sub = new HashMap<>();
    Node.Seq tree = null;
    String problem = null;
    if (src.startsWith("re:")) {
      try {
        tree = new Parser(src.substring(3)).parse();
        tree.collect(sub);
      } catch (RuntimeException e) {
        problem = "its pattern is beyond what initkit reads backwards (" + e.getMessage() + ")";
      }
    }
    this.parsed = tree;
    this.parseProblem = problem;
    StringBuilder re = new StringBuilder();
    List<Integer> groups = new ArrayList<>();
    Matcher m = REF.matcher(rule.target());
    int at = 0;
    int literal = 0;
    while (m.find()) {
      String lit = rule.target().substring(at, m.start());
      literal += lit.length();
      re.append(Pattern.quote(lit).replace("\\Q\\E", ""));
      int n = Integer.parseInt(m.group(1));
      if (groups.contains(n)) {
        re.append("\\k<g").append(n).append('>');
      } else {
        groups.add(n);
        re.append("(?<g").append(n).append('>').append(groupPattern(sub.get(n))).append(')');
      }
      at = m.end();
    }
    String tail = rule.target().substring(at);
    literal += tail.length();
    re.append(Pattern.quote(tail));
    this.targetGroups = List.copyOf(groups);
    this.literalChars = literal;
    this.target = Pattern.compile(re.toString());
  }

  private static String groupPattern(String sub) {
    if (sub == null) {
      return "(?s:.*)";
    }
    try {
      Pattern.compile(sub);
      return "(?:" + sub + ")";
    } catch (PatternSyntaxException e) {
      return "(?s:.*)"; // a group using back references: the forward check decides
    }
  }

  /** Characters of the target template outside {@code $n}: the more, the more specific. */
  int literalChars() {
    return literalChars;
  }

  /** The captures ({@code $n} to text) that make the target {@code address}, or null. */
  Map<Integer, String> match(String address) {
    Matcher m = target.matcher(address);
    if (!m.matches()) {
      return null;
    }
    Map<Integer, String> caps = new HashMap<>();
    for (int n : targetGroups) {
      caps.put(n, m.group("g" + n));
    }
    return caps;
  }

  /**
   * The source keys the rule reads for these captures, first the pattern's, then the others'.
   *
   * @throws IllegalArgumentException when the pattern has a part that cannot be written, or when
   *     the written key would not give {@code address} back
   */
  List<String> keys(Map<Integer, String> caps, String address) {
    String src = rule.sources().get(0);
    String key;
    if (caps.containsKey(0)) {
      key = caps.get(0);
    } else if (src.startsWith("re:")) {
      if (parsed == null) {
        throw new IllegalArgumentException(parseProblem);
      }
      key = parsed.write(caps);
    } else {
      StringBuilder b = new StringBuilder();
      int star = 0;
      for (int i = 0; i < src.length(); i++) {
        char c = src.charAt(i);
        if (c != '*') {
          b.append(c);
          continue;
        }
        String v = caps.get(++star);
        if (v == null) {
          throw new IllegalArgumentException(
              "its * number " + star + " is not in the target, so no key can be written");
        }
        b.append(v);
      }
      key = b.toString();
    }
    List<String> back = rule.captures().apply(key);
    if (back == null || !TensorRule.fill(rule.target(), back).equals(address)) {
      throw new IllegalArgumentException(
          "the key written for "
              + address
              + ", '"
              + key
              + "', does not give "
              + address
              + " back under "
              + src);
    }
    List<String> out = new ArrayList<>();
    out.add(key);
    for (String other : rule.sources().subList(1, rule.sources().size())) {
      out.add(TensorRule.fill(other, back));
    }
    return out;
  }

  /** The parts of a regular expression that matter for writing one string it matches. */
  private sealed interface Node {
    /** The text, or an exception saying which part cannot be written. */
    String write(Map<Integer, String> caps);

    /** Group number to its pattern text, for every capture group inside. */
    void collect(Map<Integer, String> out);

    /** How many of {@code caps}' groups this node writes. */
    int uses(Map<Integer, String> caps);

    record Lit(String text) implements Node {
      @Override
      public String write(Map<Integer, String> caps) {
        return text;
      }

      @Override
      public void collect(Map<Integer, String> out) {}

      @Override
      public int uses(Map<Integer, String> caps) {
        return 0;
      }
    }

    /** A character class, a dot, {@code \d}...: matches many texts, names none. */
    record Any(String text) implements Node {
      @Override
      public String write(Map<Integer, String> caps) {
        throw new IllegalArgumentException(
            "'" + text + "' outside the groups the target names cannot be written as a key");
      }

      @Override
      public void collect(Map<Integer, String> out) {}

      @Override
      public int uses(Map<Integer, String> caps) {
        return 0;
      }
    }

    record Group(int number, String text, Alt body) implements Node {
      @Override
      public String write(Map<Integer, String> caps) {
        String v = number > 0 ? caps.get(number) : null;
        return v != null ? v : body.write(caps);
      }

      @Override
      public void collect(Map<Integer, String> out) {
        if (number > 0) {
          out.put(number, text);
        }
        body.collect(out);
      }

      @Override
      public int uses(Map<Integer, String> caps) {
        return number > 0 && caps.containsKey(number) ? 1 : body.uses(caps);
      }
    }

    record Repeat(Node atom, int min) implements Node {
      @Override
      public String write(Map<Integer, String> caps) {
        if (atom.uses(caps) > 0) {
          return atom.write(caps); // a named group: its captured text, once
        }
        return min == 0 ? "" : atom.write(caps).repeat(min);
      }

      @Override
      public void collect(Map<Integer, String> out) {
        atom.collect(out);
      }

      @Override
      public int uses(Map<Integer, String> caps) {
        return atom.uses(caps);
      }
    }

    record Seq(List<Node> parts) implements Node {
      @Override
      public String write(Map<Integer, String> caps) {
        StringBuilder b = new StringBuilder();
        for (Node n : parts) {
          b.append(n.write(caps));
        }
        return b.toString();
      }

      @Override
      public void collect(Map<Integer, String> out) {
        parts.forEach(p -> p.collect(out));
      }

      @Override
      public int uses(Map<Integer, String> caps) {
        return parts.stream().mapToInt(p -> p.uses(caps)).sum();
      }
    }

    /** Alternatives: the first that can be written among those writing the most named groups. */
    record Alt(List<Seq> options) implements Node {
      @Override
      public String write(Map<Integer, String> caps) {
        int most = options.stream().mapToInt(o -> o.uses(caps)).max().orElse(0);
        IllegalArgumentException first = null;
        for (Seq o : options) {
          if (o.uses(caps) != most) {
            continue;
          }
          try {
            return o.write(caps);
          } catch (IllegalArgumentException e) {
            first = first == null ? e : first;
          }
        }
        throw first;
      }

      @Override
      public void collect(Map<Integer, String> out) {
        options.forEach(o -> o.collect(out));
      }

      @Override
      public int uses(Map<Integer, String> caps) {
        return options.stream().mapToInt(o -> o.uses(caps)).max().orElse(0);
      }
    }
  }

  /** A recursive-descent reader of the Java regex syntax, as far as writing a match needs. */
  private static final class Parser {
    private final String re;
    private int pos;
    private int groups;

    Parser(String re) {
      this.re = re;
    }

    Node.Seq parse() {
      Node.Alt a = alt();
      if (pos < re.length()) {
        throw new IllegalArgumentException("unbalanced ')' in " + re);
      }
      return new Node.Seq(List.of(a));
    }

    private Node.Alt alt() {
      List<Node.Seq> options = new ArrayList<>();
      options.add(seq());
      while (pos < re.length() && re.charAt(pos) == '|') {
        pos++;
        options.add(seq());
      }
      return new Node.Alt(options);
    }

    private Node.Seq seq() {
      List<Node> parts = new ArrayList<>();
      while (pos < re.length() && re.charAt(pos) != '|' && re.charAt(pos) != ')') {
        Node atom = atom();
        parts.add(quantified(atom));
      }
      return new Node.Seq(parts);
    }

    private Node quantified(Node atom) {
      if (pos >= re.length()) {
        return atom;
      }
      char c = re.charAt(pos);
      int min;
      if (c == '?' || c == '*') {
        min = 0;
        pos++;
      } else if (c == '+') {
        min = 1;
        pos++;
      } else if (c == '{' && re.indexOf('}', pos) > 0) {
        String body = re.substring(pos + 1, re.indexOf('}', pos));
        pos = re.indexOf('}', pos) + 1;
        min = Integer.parseInt(body.split(",", -1)[0].strip());
      } else {
        return atom;
      }
      if (pos < re.length() && (re.charAt(pos) == '?' || re.charAt(pos) == '+')) {
        pos++; // lazy or possessive: the same texts
      }
      return new Node.Repeat(atom, min);
    }

    private Node atom() {
      char c = re.charAt(pos);
      switch (c) {
        case '(' -> {
          int start = pos++;
          int number = 0;
          if (re.startsWith("?:", pos)) {
            pos += 2;
          } else if (re.startsWith("?<", pos)
              && pos + 2 < re.length()
              && Character.isLetter(re.charAt(pos + 2))) {
            pos = re.indexOf('>', pos) + 1;
            number = ++groups;
          } else if (re.startsWith("?", pos)) {
            int end = close(start);
            return new Node.Any(re.substring(start, end));
          } else {
            number = ++groups;
          }
          int bodyStart = pos;
          Node.Alt body = alt();
          String text = re.substring(bodyStart, pos);
          pos++; // ')'
          return new Node.Group(number, text, body);
        }
        case '[' -> {
          int start = pos++;
          if (pos < re.length() && re.charAt(pos) == '^') {
            pos++;
          }
          if (pos < re.length() && re.charAt(pos) == ']') {
            pos++;
          }
          int depth = 1;
          while (pos < re.length() && depth > 0) {
            char x = re.charAt(pos++);
            if (x == '\\') {
              pos++;
            } else if (x == '[') {
              depth++;
            } else if (x == ']') {
              depth--;
            }
          }
          return new Node.Any(re.substring(start, pos));
        }
        case '.' -> {
          pos++;
          return new Node.Any(".");
        }
        case '^', '$' -> {
          pos++;
          return new Node.Lit("");
        }
        case '\\' -> {
          char x = re.charAt(pos + 1);
          if (x == 'Q') {
            int end = re.indexOf("\\E", pos + 2);
            int stop = end < 0 ? re.length() : end;
            String lit = re.substring(pos + 2, stop);
            pos = end < 0 ? re.length() : end + 2;
            return new Node.Lit(lit);
          }
          pos += 2;
          if (Character.isLetterOrDigit(x)) {
            return new Node.Any("\\" + x);
          }
          return new Node.Lit(String.valueOf(x));
        }
        default -> {
          pos++;
          return new Node.Lit(String.valueOf(c));
        }
      }
    }

    /** The index after the ')' closing the group opened at {@code start}, skipping its body. */
    private int close(int start) {
      int depth = 0;
      for (int i = start; i < re.length(); i++) {
        char x = re.charAt(i);
        if (x == '\\') {
          i++;
        } else if (x == '(') {
          depth++;
        } else if (x == ')' && --depth == 0) {
          pos = i + 1;
          return pos;
        }
      }
      pos = re.length();
      return pos;
    }
  }
}

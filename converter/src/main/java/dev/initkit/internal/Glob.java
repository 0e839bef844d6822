package dev.initkit.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The one glob matcher initkit uses (layer selectors, mapping files). A pattern compiles to a small
 * automaton whose set of live states advances one character of the name at a time, so a match takes
 * at most (pattern length x name length) steps, no recursion and no backtracking, whatever the
 * pattern: java.nio's glob and java.util.regex, used before, recursed once per {@code *} (50,000
 * stars overflowed the stack) and backtracked for minutes on a long name. Case-sensitive; works on
 * code points. Immutable and thread-safe.
 *
 * <p>Two dialects:
 *
 * <ul>
 *   <li>{@link #path}: the syntax of {@code FileSystem.getPathMatcher("glob:...")} on {@code
 *       /}-separated names: {@code *} any run within one component, {@code **} any run, {@code ?}
 *       one character but {@code /}, {@code [abc]}, {@code [a-z]}, {@code [!a]} (never {@code /}),
 *       {@code {a,b}} (not nested), {@code \} escapes the next character.
 *   <li>{@link #stars}: only {@code *} is special and matches any run, {@code /} included; {@link
 *       #captures} tells what each {@code *} matched.
 * </ul>
 */
public final class Glob {
  private static final int LITERAL = 0; // arg: the code point
  private static final int ONE = 1; // one code point but '/'
  private static final int CLASS = 2; // arg: index into classes
  private static final int STAR = 3; // any run without '/': a self-loop, then on to the next state
  private static final int ANY_RUN = 4; // any run
  private static final int JUMP = 5; // arg: the state to go on at (end of a group's alternative)
  private static final int FORK = 6; // forks: the first states of a group's alternatives

  private final String pattern;
  private final boolean starsOnly;
  private final int[] op;
  private final int[] arg;
  private final int[][] forks;
  private final CharClass[] classes;

  private Glob(String pattern, boolean starsOnly, Program p) {
    this.pattern = pattern;
    this.starsOnly = starsOnly;
    int n = p.ops.size();
    this.op = new int[n];
    this.arg = new int[n];
    for (int i = 0; i < n; i++) {
      op[i] = p.ops.get(i);
      arg[i] = p.args.get(i);
    }
    this.forks = p.forks.toArray(new int[0][]);
    this.classes = p.classes.toArray(new CharClass[0]);
  }

  /**
   * A glob in {@code getPathMatcher("glob:...")} syntax, {@code /} separating components.
   *
   * @throws IllegalArgumentException describing what does not parse
   */
  public static Glob path(String pattern) {
    Objects.requireNonNull(pattern, "pattern");
    Program p = new Program();
    int[] cps = pattern.codePoints().toArray();
    int groupFork = -1;
    List<Integer> altJumps = new ArrayList<>();
    int i = 0;
    while (i < cps.length) {
      int c = cps[i++];
      switch (c) {
        case '\\' -> {
          if (i == cps.length) {
            throw new IllegalArgumentException("No character to escape at the end");
          }
          p.add(LITERAL, cps[i++]);
        }
        case '[' -> i = parseClass(cps, i, p);
        case '{' -> {
          if (groupFork >= 0) {
            throw new IllegalArgumentException("Cannot nest groups");
          }
          groupFork = p.add(FORK, p.forks.size());
          p.forks.add(new int[] {p.ops.size()});
        }
        case ',', '}' -> {
          if (groupFork < 0) {
            p.add(LITERAL, c);
            break;
          }
          altJumps.add(p.add(JUMP, -1));
          if (c == ',') {
            int[] old = p.forks.get(p.arg(groupFork));
            int[] alts = Arrays.copyOf(old, old.length + 1);
            alts[old.length] = p.ops.size();
            p.forks.set(p.arg(groupFork), alts);
          } else {
            for (int j : altJumps) {
              p.args.set(j, p.ops.size());
            }
            altJumps.clear();
            groupFork = -1;
          }
        }
        case '*' -> {
          if (i < cps.length && cps[i] == '*') {
            i++;
            p.star(ANY_RUN);
          } else {
            p.star(STAR);
          }
        }
        case '?' -> p.add(ONE, 0);
        default -> p.add(LITERAL, c);
      }
    }
    if (groupFork >= 0) {
      throw new IllegalArgumentException("Missing '}'");
    }
    return new Glob(pattern, false, p);
  }

  /** A glob whose only wildcard is {@code *}, matching any run of characters ({@code /} too). */
  public static Glob stars(String pattern) {
    Objects.requireNonNull(pattern, "pattern");
    Program p = new Program();
    pattern
        .codePoints()
        .forEach(
            c -> {
              if (c == '*') {
                p.star(ANY_RUN);
              } else {
                p.add(LITERAL, c);
              }
            });
    return new Glob(pattern, true, p);
  }

  /**
   * Parses a bracket expression after its {@code [}, as java.nio's glob does; the index after it.
   */
  private static int parseClass(int[] cps, int i, Program p) {
    List<int[]> ranges = new ArrayList<>();
    boolean negated = false;
    if (i < cps.length && cps[i] == '^') {
      ranges.add(new int[] {'^', '^'}); // a literal '^', never negation
      i++;
    } else {
      if (i < cps.length && cps[i] == '!') {
        negated = true;
        i++;
      }
      if (i < cps.length && cps[i] == '-') {
        ranges.add(new int[] {'-', '-'});
        i++;
      }
    }
    boolean hasRangeStart = false;
    boolean closed = false;
    while (i < cps.length) {
      int c = cps[i++];
      if (c == ']') {
        closed = true;
        break;
      }
      if (c == '/') {
        throw new IllegalArgumentException("Explicit 'name separator' in class");
      }
      if (c != '-') {
        ranges.add(new int[] {c, c});
        hasRangeStart = true;
        continue;
      }
      if (!hasRangeStart) {
        throw new IllegalArgumentException("Invalid range");
      }
      if (i == cps.length) {
        break;
      }
      int end = cps[i++];
      if (end == ']') { // "a-]": the '-' is literal
        ranges.add(new int[] {'-', '-'});
        closed = true;
        break;
      }
      int[] last = ranges.get(ranges.size() - 1);
      // java.nio copied '[' or '\\' ending a range into its regex unescaped, which then failed
      if (end < last[0] || end == '[' || end == '\\') {
        throw new IllegalArgumentException("Invalid range");
      }
      last[1] = end;
      hasRangeStart = false;
    }
    if (!closed) {
      throw new IllegalArgumentException("Missing ']'");
    }
    if (ranges.isEmpty()) {
      // java.nio turned "[]" and "[!]" into a regex that did not compile
      throw new IllegalArgumentException("Empty class");
    }
    p.add(CLASS, p.classes.size());
    p.classes.add(new CharClass(ranges.toArray(new int[0][]), negated));
    return i;
  }

  /** True when the whole name matches. */
  public boolean matches(String name) {
    int accept = op.length;
    int[] cur = new int[accept + 1];
    int[] next = new int[accept + 1];
    int[] mark = new int[accept + 1]; // mark[s] == gen: s is already in the set being built
    int gen = 1;
    cur[0] = 0;
    mark[0] = gen;
    int n = close(cur, 1, mark, gen);
    for (int k = 0; k < name.length(); ) {
      int c = name.codePointAt(k);
      k += Character.charCount(c);
      gen++;
      int m = 0;
      for (int j = 0; j < n; j++) {
        int s = cur[j];
        if (s == accept) {
          continue;
        }
        int to =
            switch (op[s]) {
              case LITERAL -> arg[s] == c ? s + 1 : -1;
              case ONE -> c != '/' ? s + 1 : -1;
              case CLASS -> classes[arg[s]].test(c) ? s + 1 : -1;
              case STAR -> c != '/' ? s : -1;
              case ANY_RUN -> s;
              default -> -1; // JUMP and FORK consume nothing
            };
        if (to >= 0 && mark[to] != gen) {
          mark[to] = gen;
          next[m++] = to;
        }
      }
      n = close(next, m, mark, gen);
      if (n == 0) {
        return false;
      }
      int[] t = cur;
      cur = next;
      next = t;
    }
    return mark[accept] == gen;
  }

  /** Adds to {@code set[0..n)} every state reachable from it without consuming; the new size. */
  private int close(int[] set, int n, int[] mark, int gen) {
    for (int j = 0; j < n; j++) { // a worklist: the set grows while it is walked
      int s = set[j];
      if (s == op.length) {
        continue;
      }
      switch (op[s]) {
        case STAR, ANY_RUN -> n = push(set, n, s + 1, mark, gen);
        case JUMP -> n = push(set, n, arg[s], mark, gen);
        case FORK -> {
          for (int t : forks[arg[s]]) {
            n = push(set, n, t, mark, gen);
          }
        }
        default -> {}
      }
    }
    return n;
  }

  private static int push(int[] set, int n, int s, int[] mark, int gen) {
    if (mark[s] != gen) {
      mark[s] = gen;
      set[n++] = s;
    }
    return n;
  }

  /**
   * For a {@link #stars} glob, what each {@code *} matched, in order, each as short as the rest of
   * the pattern allows (as a regex's lazy {@code (.*?)} would); null when the name does not match.
   * Each literal run between stars is placed at its first occurrence, which is never worse for what
   * follows, so no placement is ever retried.
   *
   * @throws IllegalStateException for a {@link #path} glob
   */
  public List<String> captures(String name) {
    if (!starsOnly) {
      throw new IllegalStateException("only a stars glob tells what its * matched");
    }
    String[] runs = pattern.split("\\*", -1);
    if (runs.length == 1) {
      return name.equals(pattern) ? List.of() : null;
    }
    if (!name.startsWith(runs[0])) {
      return null;
    }
    List<String> out = new ArrayList<>(runs.length - 1);
    int pos = runs[0].length();
    for (int j = 1; j < runs.length - 1; j++) {
      int at = name.indexOf(runs[j], pos);
      if (at < 0) {
        return null;
      }
      out.add(name.substring(pos, at));
      pos = at + runs[j].length();
    }
    String tail = runs[runs.length - 1];
    int end = name.length() - tail.length();
    if (end < pos || !name.endsWith(tail)) {
      return null;
    }
    out.add(name.substring(pos, end));
    return out;
  }

  @Override
  public String toString() {
    return pattern;
  }

  /** A bracket expression: code point ranges, never matching '/'. */
  private record CharClass(int[][] ranges, boolean negated) {
    boolean test(int c) {
      if (c == '/') {
        return false;
      }
      for (int[] r : ranges) {
        if (c >= r[0] && c <= r[1]) {
          return !negated;
        }
      }
      return negated;
    }
  }

  /** The states being compiled. */
  private static final class Program {
    final List<Integer> ops = new ArrayList<>();
    final List<Integer> args = new ArrayList<>();
    final List<int[]> forks = new ArrayList<>();
    final List<CharClass> classes = new ArrayList<>();

    int add(int op, int arg) {
      ops.add(op);
      args.add(arg);
      return ops.size() - 1;
    }

    int arg(int state) {
      return args.get(state);
    }

    /** Adds a star; a run of stars is one state (so 50,000 of them cost one), any-run if any is. */
    void star(int kind) {
      int last = ops.size() - 1;
      if (last >= 0 && (ops.get(last) == STAR || ops.get(last) == ANY_RUN)) {
        if (kind == ANY_RUN) {
          ops.set(last, ANY_RUN);
        }
        return;
      }
      add(kind, 0);
    }
  }
}

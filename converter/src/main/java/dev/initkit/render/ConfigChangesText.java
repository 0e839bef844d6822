package dev.initkit.render;

import dev.initkit.init.InitializerSpec;
import dev.initkit.ops.ConfigRewriter;
import dev.initkit.ops.ConfigRewriter.Change;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * What a {@link ConfigRewriter} changed, as an aligned plain-text table (the dry run of {@code
 * initkit set-init}): per initializer key, before, after and the rule that set it. Names from the
 * model file are shown escaped ({@link TerminalText}). Writes to the writer it is given and prints
 * nothing itself; thread-safe (stateless).
 */
public final class ConfigChangesText {
  private ConfigChangesText() {}

  /** Writes the changes, one {@code println} per line. */
  public static void write(PrintWriter out, ConfigRewriter.Result r) {
    out.println("Changes (dry run: nothing written)");
    TextTable t = new TextTable("Layer", "Key", "Before", "After", ">Rule");
    for (Change c : r.changes()) {
      t.row(
          c.layerPath(),
          c.key(),
          before(c),
          c.written().describe() + (c.changed() ? "" : " (unchanged)"),
          Integer.toString(c.rule()));
    }
    if (t.isEmpty()) {
      out.println("  (none)");
    } else {
      t.print(out, "  ");
    }
  }

  /** The changes as a string, lines ending as {@link PrintWriter#println()} ends them. */
  public static String render(ConfigRewriter.Result r) {
    StringWriter s = new StringWriter();
    PrintWriter out = new PrintWriter(s);
    write(out, r);
    out.flush();
    return s.toString();
  }

  /** One change in a line: {@code before -> after}, or {@code after (unchanged)}. */
  public static String describe(Change c) {
    String after = c.written().describe();
    return c.changed() ? before(c) + " -> " + after : after + " (unchanged)";
  }

  /** The initializer the change replaced, described; as written when it does not parse. */
  private static String before(Change c) {
    try {
      return InitializerSpec.parse(c.before()).describe();
    } catch (RuntimeException e) {
      return c.before().toString();
    }
  }
}

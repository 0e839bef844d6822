package dev.initkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.initkit.render.TerminalText;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class TerminalTextTest {

  @Test
  void controlCharactersAreShownEscaped() {
    assertEquals("a\\e[2Jb", TerminalText.escape("a\u001b[2Jb"));
    assertEquals("\\n\\r\\t", TerminalText.escape("\n\r\t"));
    assertEquals(
        "\\u0000\\u0007\\u007f\\u0085\\u009b",
        TerminalText.escape("\u0000\u0007\u007f\u0085\u009b"));
  }

  @Test
  void bidiControlsAndLineSeparatorsAreShownEscaped() {
    assertEquals("\\u202etxt.exe\\u202c", TerminalText.escape("\u202etxt.exe\u202c"));
    assertEquals("\\u2066\\u2069\\u2028\\u2029", TerminalText.escape("\u2066\u2069\u2028\u2029"));
  }

  @Test
  void ordinaryTextIsKept() {
    String s = "caf\u00e9_\u540d\u524d dense/kernel:0 C:\\models\\m.h5 \ud83d\ude00";
    assertSame(s, TerminalText.escape(s));
    assertNull(TerminalText.escape(null));
  }

  @Test
  void escapingTwiceChangesNothing() {
    String once = TerminalText.escape("x\u001b\n\u202e");
    assertEquals(once, TerminalText.escape(once));
  }

  @Test
  void writerEndsLinesOnlyAtPrintln() {
    StringWriter sink = new StringWriter();
    TerminalWriter w = new TerminalWriter(sink, false);
    w.println("a\nb");
    w.print('\r');
    w.printf("%s%n", "\u001b[2J");
    w.write("z\t".toCharArray(), 0, 2);
    w.println();
    w.flush();
    String nl = System.lineSeparator();
    assertEquals("a\\nb" + nl + "\\r\\e[2J\\nz\\t" + nl, sink.toString());
  }

  @Test
  void errorLinesShareTheEscaping() {
    assertEquals(
        "bad name a\\e[2Jb in layer x",
        ExceptionMapper.oneLine("bad name a\u001b[2Jb\n  in layer\tx"));
  }
}

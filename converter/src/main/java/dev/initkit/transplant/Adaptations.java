package dev.initkit.transplant;

import java.util.List;
import java.util.Locale;

/**
 * The shape adaptations the user opted into. Without one, a matched weight whose shape differs is
 * initialized (and reported); nothing is reshaped silently.
 *
 * @param inputChannels the first convolution's kernel (the first layer with a kernel of rank 3 or
 *     more) with another input-channel count: summed over the source channels for one channel;
 *     otherwise channel {@code i} is source channel {@code i mod c} times {@code c / c'} (timm's
 *     {@code adapt_input_conv}, generalised from {@code c = 3})
 * @param head what to do with the head (the last layer with weights) when its shape differs
 * @param vocab an Embedding with another vocabulary: the overlapping rows copied, new rows drawn
 * @param units Dense/Conv (and their normalization and bias) with another unit count: the
 *     overlapping block copied, the rest drawn (slice when smaller, pad with fresh values when
 *     larger)
 * @param gates recurrent layers (LSTM i,f,c,o; GRU z,r,h; SimpleRNN) with another unit count: the
 *     overlap copied gate block by gate block, never across gate boundaries
 */
public record Adaptations(
    boolean inputChannels, HeadMode head, boolean vocab, boolean units, boolean gates) {
  /** What to do with a head whose shape differs. */
  public enum HeadMode {
    /** Not opted in: a differing head is initialized and reported as unmatched. */
    NONE,
    /** Draw the head fresh (on request: not counted as unmatched by {@code --strict}). */
    FRESH,
    /** Keep the overlapping units, draw the rest. */
    KEEP
  }

  public Adaptations {
    head = head == null ? HeadMode.NONE : head;
  }

  /** No adaptation. */
  public static Adaptations none() {
    return new Adaptations(false, HeadMode.NONE, false, false, false);
  }

  /**
   * Parses the command-line kinds: {@code input-channels}, {@code head=fresh}, {@code head=keep},
   * {@code vocab}, {@code units}, {@code gates}, {@code all} (everything, with {@code head=keep});
   * each item may hold several, comma-separated.
   *
   * @throws IllegalArgumentException naming an unknown kind
   */
  public static Adaptations parse(List<String> items) {
    boolean in = false;
    boolean vocab = false;
    boolean units = false;
    boolean gates = false;
    HeadMode head = HeadMode.NONE;
    for (String item : items) {
      for (String raw : item.split(",")) {
        String k = raw.trim().toLowerCase(Locale.ROOT);
        switch (k) {
          case "input-channels" -> in = true;
          case "head=fresh", "head-fresh" -> head = HeadMode.FRESH;
          case "head=keep", "head-keep", "head" -> head = HeadMode.KEEP;
          case "vocab" -> vocab = true;
          case "units" -> units = true;
          case "gates" -> gates = true;
          case "all" -> {
            in = vocab = units = gates = true;
            head = head == HeadMode.NONE ? HeadMode.KEEP : head;
          }
          default ->
              throw new IllegalArgumentException(
                  "unknown adaptation '"
                      + raw.trim()
                      + "': expected input-channels,"
                      + " head=fresh, head=keep, vocab, units, gates or all");
        }
      }
    }
    return new Adaptations(in, head, vocab, units, gates);
  }

  /** The opted-in kinds as the command line spells them. */
  public List<String> labels() {
    List<String> out = new java.util.ArrayList<>();
    if (inputChannels) {
      out.add("input-channels");
    }
    if (head != HeadMode.NONE) {
      out.add("head=" + head.name().toLowerCase(Locale.ROOT));
    }
    if (vocab) {
      out.add("vocab");
    }
    if (units) {
      out.add("units");
    }
    if (gates) {
      out.add("gates");
    }
    return out;
  }
}

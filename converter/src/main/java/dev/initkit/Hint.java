package dev.initkit;

import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * A part of the library's API that an exception's message points the caller to, e.g. to overwrite
 * an existing output. The message names it by {@link #apiName()}, and the exception lists the hints
 * its message names ({@link ModelFormatException#hints()}, {@link OutputExistsException#hints()},
 * {@link TransplantException#hints()}), so that a front end that spells them its own way (a command
 * line's flags) can put its spelling in their place ({@link #respell}).
 */
public enum Hint {
  /** Overwriting an existing output: {@code WriteOptions.overwrite}. */
  OVERWRITE("WriteOptions.overwrite"),
  /** An explicit architecture JSON for a weights-only file: {@code ReadOptions.config}. */
  ARCHITECTURE_CONFIG("ReadOptions.config"),
  /**
   * Drawing new weights by a scheme instead of rewriting the config: {@code Reinitializer.Scheme}.
   */
  REINIT_SCHEME("Reinitializer.Scheme"),
  /** The selection of weights to redraw: the {@code Selector} given to {@code Reinitializer}. */
  REINIT_SELECTOR("the Reinitializer's Selector"),
  /** The transplant's match strategy, whichever: {@code TransplantOptions.strategy}. */
  MATCH_STRATEGY("TransplantOptions.strategy"),
  /** Matching by name: {@code MatchStrategy.NAME}. */
  MATCH_NAME("MatchStrategy.NAME"),
  /** Matching by order: {@code MatchStrategy.ORDER}. */
  MATCH_ORDER("MatchStrategy.ORDER"),
  /** Matching by class and weight shapes: {@code MatchStrategy.STRUCTURE}. */
  MATCH_STRUCTURE("MatchStrategy.STRUCTURE"),
  /** An explicit layer mapping: {@code TransplantOptions.mapping}. */
  LAYER_MAPPING("TransplantOptions.mapping"),
  /** Opting into shape adaptations: {@code TransplantOptions.adaptations}. */
  ADAPTATIONS("TransplantOptions.adaptations"),
  /** Adapting the first convolution's input channels: {@code Adaptations.inputChannels}. */
  ADAPT_INPUT_CHANNELS("Adaptations.inputChannels"),
  /**
   * Adapting a differing head, either way: {@code Adaptations.head} {@code KEEP} or {@code FRESH}.
   */
  ADAPT_HEAD("Adaptations.head = HeadMode.KEEP or HeadMode.FRESH"),
  /** Drawing a differing head fresh: {@code Adaptations.head} {@code HeadMode.FRESH}. */
  ADAPT_HEAD_FRESH("Adaptations.head = HeadMode.FRESH"),
  /** Resizing recurrent layers gate by gate: {@code Adaptations.gates}. */
  ADAPT_GATES("Adaptations.gates"),
  /** Growing or shrinking an Embedding's vocabulary: {@code Adaptations.vocab}. */
  ADAPT_VOCAB("Adaptations.vocab"),
  /** Slicing or padding units: {@code Adaptations.units}. */
  ADAPT_UNITS("Adaptations.units"),
  /** The transplanted layers to freeze: {@code TransplantOptions.freeze}. */
  FREEZE("TransplantOptions.freeze"),
  /** Rewriting initializer configs by rules: {@code ConfigRewriter.rewrite}. */
  CONFIG_REWRITE("ConfigRewriter.rewrite"),
  /**
   * Drawing the weights a config rewrite selected from their new initializers: {@code
   * Reinitializer.apply}.
   */
  REINIT_DRAW("Reinitializer.apply"),
  /** Drawing new weights (on a model's variables, config or not): {@code Reinitializer}. */
  REINITIALIZER("Reinitializer"),
  /** Training copies per scheme side by side: {@code Analysis.compare}. */
  COMPARE("Analysis.compare"),
  /** The data an analysis runs on: {@code Analysis.Settings.data}. */
  DATA("Analysis.Settings.data"),
  /** The time limit of a child JVM: {@code ForkedWorker.Launch.timeout}. */
  TIMEOUT("ForkedWorker.Launch.timeout");

  private final String apiName;

  Hint(String apiName) {
    this.apiName = apiName;
  }

  /** How a library message names it, e.g. {@code WriteOptions.overwrite}. */
  public String apiName() {
    return apiName;
  }

  /**
   * The message with each hint's {@link #apiName()} replaced by {@code spelling}'s (longest names
   * first); a hint the spelling maps to null keeps its name.
   *
   * @param message a library message
   * @param hints the hints it names
   * @param spelling a front end's spelling of a hint, e.g. {@code --force} for {@link #OVERWRITE}
   */
  public static String respell(String message, List<Hint> hints, Function<Hint, String> spelling) {
    if (message == null || hints.isEmpty()) {
      return message;
    }
    String s = message;
    List<Hint> longestFirst =
        hints.stream()
            .distinct()
            .sorted(Comparator.comparingInt((Hint h) -> h.apiName.length()).reversed())
            .toList();
    for (Hint h : longestFirst) {
      String spelled = spelling.apply(h);
      if (spelled != null) {
        s = s.replace(h.apiName, spelled);
      }
    }
    return s;
  }
}

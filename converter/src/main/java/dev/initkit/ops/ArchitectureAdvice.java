package dev.initkit.ops;

import dev.initkit.format.ConfigLayers;
import dev.initkit.format.config.CallGraph;
import dev.initkit.init.InitializerSpec;
import dev.initkit.internal.ConfigViews;
import dev.initkit.keras.LayerFamily;
import dev.initkit.keras.Wrappers;
import dev.initkit.model.Model;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.InitReport.Warning;
import dev.initkit.ops.InitReport.WeightEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the literature advises for the architecture families it recognises in a model's graph, where
 * the configured initializers do otherwise: residual branches ending in a normalization (its gamma
 * at zero: each block starts as the identity, Goyal et al. 2017), recurrent kernels (orthogonal:
 * the state keeps its norm through time, Saxe et al. 2014), depthwise kernels (Keras's fans count
 * the channels a depthwise filter never sums, so VarianceScaling gives it 1/channels of the
 * variance it needs). Codes start with {@code advice-}.
 */
final class ArchitectureAdvice {

  private ArchitectureAdvice() {}

  /** A recurrent layer, or a Bidirectional holding one. */
  private static boolean recurrent(String cls) {
    return LayerFamily.RECURRENT.contains(cls) || cls.equals(Wrappers.BIDIRECTIONAL);
  }

  static List<Warning> of(Model model, List<WeightEntry> entries) {
    List<Warning> out = new ArrayList<>();
    Map<String, List<WeightEntry>> byLayer = new HashMap<>();
    for (WeightEntry e : entries) {
      byLayer.computeIfAbsent(e.site().layer().name(), k -> new ArrayList<>()).add(e);
    }
    residualGammas(model, byLayer, out);
    for (WeightEntry e : entries) {
      InitializerSpec spec = e.configured().spec();
      if (spec == null || spec instanceof InitializerSpec.Custom) {
        continue;
      }
      if (e.weight().role() == WeightRole.RECURRENT_KERNEL
          && recurrent(e.className())
          && !(spec instanceof InitializerSpec.Orthogonal)
          && !(spec instanceof InitializerSpec.Identity)) {
        out.add(
            new Warning(
                "advice-orthogonal-recurrent",
                e.site().layerPath(),
                e.weight().shortName(),
                spec.describe()
                    + " on a recurrent kernel: an orthogonal one keeps the state's norm from step to step"
                    + " (Saxe et al. 2014; Keras's default)"));
      }
      if (e.weight().role() == WeightRole.DEPTHWISE_KERNEL
          && spec instanceof InitializerSpec.VarianceScaling vs
          && vs.mode() != InitializerSpec.Mode.FAN_OUT
          && e.weight().shape().rank() >= 3) {
        long channels = e.weight().shape().dim(-2);
        if (channels > 1) {
          out.add(
              new Warning(
                  "advice-depthwise-fans",
                  e.site().layerPath(),
                  e.weight().shortName(),
                  String.format(
                      Locale.ROOT,
                      "%s on a depthwise kernel: Keras's fan_in counts its %d channels, but each"
                          + " filter sums prod(kernel_size) inputs, so the output's variance is 1/%d of what %s intends;"
                          + " scale it by %d (VarianceScaling(scale=%.3g)) or normalize after",
                      spec.describe(),
                      channels,
                      channels,
                      spec.describe(),
                      channels,
                      vs.scale() * channels)));
        }
      }
    }
    return out;
  }

  /** The longest chain of calls from a model input to {@code ref}. */
  private static int depth(CallGraph g, CallGraph.Ref ref, Map<CallGraph.Ref, Integer> memo) {
    Integer known = memo.get(ref);
    if (known != null) {
      return known;
    }
    CallGraph.Call c = g.call(ref);
    int d = 0;
    if (c != null) {
      memo.put(ref, 0); // a cycle in a malformed config ends here
      for (CallGraph.Ref in : c.inputs()) {
        d = Math.max(d, depth(g, in, memo) + 1);
      }
    }
    memo.put(ref, d);
    return d;
  }

  /** Additions one of whose inputs is a normalization whose gamma does not start at zero. */
  private static void residualGammas(
      Model model, Map<String, List<WeightEntry>> byLayer, List<Warning> out) {
    if (ConfigViews.of(model).isEmpty()) {
      return;
    }
    CallGraph g;
    try {
      g = CallGraph.of(ConfigViews.of(model).get());
    } catch (IllegalArgumentException e) {
      return;
    }
    Set<String> branches = new LinkedHashSet<>();
    Map<CallGraph.Ref, Integer> memo = new HashMap<>();
    for (ConfigLayers.Entry e : g.entries().values()) {
      if (!e.className().equals("Add")) {
        continue;
      }
      for (CallGraph.Call c : g.calls(e.name())) {
        if (c.inputs().size() != 2) {
          continue;
        }
        // the branch is the deeper input (a projection shortcut ends in a normalization too, and
        // must keep its scale)
        CallGraph.Ref a = c.inputs().get(0);
        CallGraph.Ref b = c.inputs().get(1);
        CallGraph.Ref branch = depth(g, a, memo) >= depth(g, b, memo) ? a : b;
        ConfigLayers.Entry producer = g.entries().get(branch.layer());
        if (producer == null || !LayerFamily.NORMALIZATION.contains(producer.className())) {
          continue;
        }
        for (WeightEntry w : byLayer.getOrDefault(producer.name(), List.of())) {
          InitializerSpec spec = w.configured().spec();
          if (w.weight().role() == WeightRole.GAMMA
              && spec != null
              && !(spec instanceof InitializerSpec.Zeros)) {
            branches.add(producer.name());
          }
        }
      }
    }
    if (branches.size() >= 2) {
      List<String> names = new ArrayList<>(branches);
      out.add(
          new Warning(
              "advice-zero-residual-gamma",
              null,
              null,
              String.format(
                  Locale.ROOT,
                  "%d residual branches end in a normalization whose gamma starts at one (%s%s): a Zeros"
                      + " gamma_initializer there makes every block the identity at initialization, which lets deep"
                      + " residual networks train with large learning rates (Goyal et al. 2017)",
                  names.size(),
                  String.join(", ", names.subList(0, Math.min(3, names.size()))),
                  names.size() > 3 ? ", ..." : "")));
    }
  }
}

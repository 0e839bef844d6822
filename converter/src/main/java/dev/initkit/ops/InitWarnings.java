package dev.initkit.ops;

import dev.initkit.init.InitializerSpec;
import dev.initkit.keras.Activations;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.InitReport.DepthEstimate;
import dev.initkit.ops.InitReport.Warning;
import dev.initkit.ops.InitReport.WeightEntry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The warnings of {@link InitReport}: on each weight (zero or constant kernels, He under saturating
 * activations, Glorot in deep ReLU stacks, legacy and custom initializers, the DL4J importer's
 * mapping traps...) and on the model (the depth estimate vanishing or exploding). The advice for
 * architecture families is {@link ArchitectureAdvice}'s. Stateless; thread-safe.
 */
final class InitWarnings {
  private static final Set<WeightRole> KERNEL_ROLES =
      Set.of(
          WeightRole.KERNEL,
          WeightRole.DEPTHWISE_KERNEL,
          WeightRole.POINTWISE_KERNEL,
          WeightRole.RECURRENT_KERNEL,
          WeightRole.EMBEDDINGS);
  private static final Set<String> SATURATING =
      Set.of("tanh", "sigmoid", "hardsigmoid", "softsign", "hardtanh");

  private InitWarnings() {}

  /**
   * The warnings on one weight, in a fixed order.
   *
   * @param activation the activation that acts on the layer's output (own or following), or null
   * @param stats the stored values' statistics, or null
   * @param reluLayers the model's number of ReLU-like layers with a kernel
   * @param unusable why the configured initializer cannot draw the weight's shape, or null
   */
  static List<Warning> ofWeight(
      WeightSite s,
      ConfiguredInitializer c,
      String activation,
      TensorStats stats,
      int reluLayers,
      IllegalArgumentException unusable) {
    Weight w = s.weight();
    WeightRole role = w.role();
    InitializerSpec spec = c.spec();
    String path = s.layerPath();
    String wn = w.shortName();
    List<Warning> warns = new ArrayList<>();
    if (unusable != null) {
      warns.add(
          new Warning(
              "unusable-initializer",
              path,
              wn,
              spec.describe()
                  + " cannot initialize shape "
                  + w.shape()
                  + ": "
                  + unusable.getMessage()));
    }
    // configured initializer
    switch (c.source()) {
      case INVALID:
        warns.add(
            new Warning(
                "invalid-initializer",
                path,
                wn,
                "invalid initializer config (" + c.key() + "): " + c.error()));
        break;
      case KERAS1:
        for (String n : spec.notes()) {
          warns.add(new Warning("keras1", path, wn, n));
        }
        break;
      default:
        break;
    }
    if (spec instanceof InitializerSpec.Custom) {
      warns.add(
          new Warning(
              "custom-initializer",
              path,
              wn,
              spec.describe()
                  + ": initkit keeps it verbatim and cannot draw it (reinit leaves this weight as it is)"));
    }
    if (spec != null && spec.legacyNormal()) {
      warns.add(
          new Warning(
              "legacy-normal",
              path,
              wn,
              "VarianceScaling with distribution 'normal' was written by old Keras"
                  + " (2.0-2.1) or tfjs, where it meant a truncated normal without the 0.8796 correction (std about 12% low);"
                  + " current Keras draws the corrected truncated normal"));
    }
    boolean kernelRole = KERNEL_ROLES.contains(role);
    if (kernelRole && spec != null && isConstant(spec) && w.shape().elementCount() > 1) {
      warns.add(
          new Warning(
              "constant-initializer",
              path,
              wn,
              "configured "
                  + spec.describe()
                  + " on a "
                  + role.label()
                  + ": every unit of a freshly built model starts identical, so symmetry is never broken"));
    }
    if (kernelRole && stats != null && stats.constant()) {
      boolean zero = stats.min() == 0;
      warns.add(
          new Warning(
              zero ? "zero-kernel" : "constant-kernel",
              path,
              wn,
              "all "
                  + stats.count()
                  + " values are "
                  + (zero ? "zero" : "equal (" + fmt(stats.min()) + ")")
                  + ": the units get identical gradients, so symmetry is not broken"));
    }
    if (stats != null && stats.nonFinite() > 0) {
      warns.add(new Warning("non-finite", path, wn, stats.nonFinite() + " NaN or infinite values"));
    }
    String act = activation == null ? null : LayerConfigs.normalise(activation);
    if (spec != null
        && role != WeightRole.RECURRENT_KERNEL
        && role != WeightRole.BIAS
        && isHe(spec)
        && act != null
        && SATURATING.contains(act)) {
      warns.add(
          new Warning(
              "he-saturating",
              path,
              wn,
              spec.describe()
                  + " (variance 2/fan_in) under "
                  + activation
                  + ": twice the variance a "
                  + activation
                  + " unit keeps in its linear range, pushing it into saturation;"
                  + " Glorot (or LeCun) suits "
                  + activation));
    }
    if (spec != null
        && (role == WeightRole.KERNEL || role == WeightRole.DEPTHWISE_KERNEL)
        && isGlorot(spec)
        && act != null
        && Activations.isRectifier(act)
        && reluLayers > 0) {
      warns.add(
          new Warning(
              "glorot-deep-relu",
              path,
              wn,
              spec.describe()
                  + " under "
                  + activation
                  + " in a stack of "
                  + reluLayers
                  + " ReLU-like layers: each layer roughly halves the activation variance (Glorot keeps 1/fan_avg,"
                  + " ReLU needs 2/fan_in); He normal keeps it"));
    }
    // the DL4J Keras importer's known mapping traps
    if (spec instanceof InitializerSpec.VarianceScaling lv
        && lv.preset() == InitializerSpec.Preset.LECUN_UNIFORM
        && !spec.legacyVarianceScalingForm()) {
      warns.add(
          new Warning(
              "dl4j-lecun-uniform",
              path,
              wn,
              "DL4J's Keras import maps LecunUniform to U(±3/sqrt(fan_in)),"
                  + " 3x the variance Keras's U(±sqrt(3/fan_in)) has"));
    }
    if (writtenAsVarianceScaling(c)
        && spec instanceof InitializerSpec.VarianceScaling vs
        && vs.distribution() != InitializerSpec.Distribution.UNIFORM
        && !spec.legacyNormal()) {
      warns.add(
          new Warning(
              "dl4j-variance-scaling",
              path,
              wn,
              "DL4J's Keras import reads VarianceScaling with distribution '"
                  + vs.distribution().kerasName()
                  + "' as a uniform distribution (it only tests for \"normal\"):"
                  + " same variance, different shape"));
    }
    if (spec instanceof InitializerSpec.Identity
        && w.shape().rank() == 2
        && w.shape().dim(0) != w.shape().dim(1)) {
      warns.add(
          new Warning(
              "dl4j-identity",
              path,
              wn,
              "Identity on a non-square "
                  + w.shape()
                  + " kernel: Keras allows it, DL4J's import accepts only square matrices"));
    }
    return warns;
  }

  /** The weights' warnings in model order, a Keras 1 remark once per layer. */
  static List<Warning> ofWeights(List<WeightEntry> entries) {
    List<Warning> all = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (WeightEntry e : entries) {
      for (Warning x : e.warnings()) {
        // one line per layer for remarks that do not depend on the weight (Keras 1 notes)
        if (!x.code().equals("keras1") || seen.add(x.layerPath() + "\u0000" + x.message())) {
          all.add(x);
        }
      }
    }
    return all;
  }

  /**
   * Drops the deep-ReLU remark, from the list and from the entries, unless the configured estimate
   * says the signal vanishes: it holds only there.
   */
  static void keepDeepReluWhereVanishing(
      DepthEstimate conf, List<Warning> all, List<WeightEntry> entries) {
    if (!conf.status().equals("vanishing")) {
      // the deep-ReLU remark holds only where the estimate says the signal vanishes
      all.removeIf(w -> w.code().equals("glorot-deep-relu"));
      entries.replaceAll(
          e ->
              e.warnings().stream().noneMatch(w -> w.code().equals("glorot-deep-relu"))
                  ? e
                  : new WeightEntry(
                      e.site(),
                      e.className(),
                      e.activation(),
                      e.followingActivation(),
                      e.configured(),
                      e.fans(),
                      e.expectedMean(),
                      e.expectedStd(),
                      e.observed(),
                      e.stdRatio(),
                      e.recommended(),
                      e.recommendedReason(),
                      e.warnings().stream()
                          .filter(w -> !w.code().equals("glorot-deep-relu"))
                          .toList(),
                      e.notes(),
                      e.quantization()));
    }
  }

  /** The model's warnings: each estimate that vanishes or explodes. */
  static List<Warning> ofDepth(List<DepthEstimate> estimates, int relu) {
    List<Warning> all = new ArrayList<>();
    for (DepthEstimate d : estimates) {
      if (d.status().equals("vanishing") || d.status().equals("exploding")) {
        all.add(
            new Warning(
                "depth-" + d.status(),
                null,
                null,
                String.format(
                    Locale.ROOT,
                    "%s weights: the estimated signal %s at %s (E[x^2] leaves [%s, %s]; %.3g at the output)%s",
                    d.basis(),
                    d.status().equals("vanishing") ? "vanishes" : "explodes",
                    d.firstOutOfRange(),
                    fmt(DepthModel.VANISHING),
                    fmt(DepthModel.EXPLODING),
                    d.finalVariance(),
                    d.status().equals("vanishing") && relu > 0
                        ? ": He initialization keeps E[x^2] through ReLU layers"
                        : "")));
      }
    }
    return all;
  }

  private static boolean writtenAsVarianceScaling(ConfiguredInitializer c) {
    if (c.asWritten() == null) {
      return false;
    }
    String cn =
        c.asWritten().isTextual()
            ? c.asWritten().asText()
            : c.asWritten().path("class_name").asText("");
    return LayerConfigs.normalise(cn).equals("variancescaling");
  }

  private static boolean isConstant(InitializerSpec s) {
    return s instanceof InitializerSpec.Fixed;
  }

  private static boolean isHe(InitializerSpec s) {
    return s instanceof InitializerSpec.VarianceScaling v
        && v.mode() == InitializerSpec.Mode.FAN_IN
        && Math.abs(v.scale() - 2.0) < 1e-9;
  }

  private static boolean isGlorot(InitializerSpec s) {
    return s instanceof InitializerSpec.VarianceScaling v
        && v.mode() == InitializerSpec.Mode.FAN_AVG
        && Math.abs(v.scale() - 1.0) < 1e-9;
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.4g", x);
  }
}

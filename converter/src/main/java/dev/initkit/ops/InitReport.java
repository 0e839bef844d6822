package dev.initkit.ops;

import dev.initkit.init.AutoScheme;
import dev.initkit.init.Fans;
import dev.initkit.init.InitializerSpec;
import dev.initkit.init.SpecStatistics;
import dev.initkit.keras.ConvGeometry;
import dev.initkit.keras.LayerFamily;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.Quantization;
import dev.initkit.model.Shape;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How every weight of a model is, and should be, initialized: the configured initializer (canonical
 * and as written), Keras's fans, the standard deviation the initializer implies, the statistics of
 * the stored values, the scheme the layer's activation calls for, and warnings; at model level a
 * data-free estimate of how activation variance evolves through depth.
 *
 * <p>Values are read tensor by tensor through a bounded buffer ({@link TensorStats}); nothing else
 * is held in memory. Immutable once built; thread-safe.
 *
 * <h2>Depth estimate</h2>
 *
 * Where the model has a config, the estimate follows its graph ({@link SignalEstimate}): from
 * standard-normal inputs, every call maps the mean and second moment of its inputs' elements to its
 * output's. A layer with a kernel computes {@code E[y^2] = fan_in * E[W^2] * E[x^2]} (plus the
 * weights' and bias's means where they are not zero), where {@code E[W^2]} is the weight's mean
 * square (implied by the configured initializer, or observed in the file) and {@code fan_in} the
 * number of inputs summed per output (Keras's fan_in, except depthwise kernels: {@code
 * prod(kernel_size)}, and transposed convolutions: {@code in * prod(kernel_size) / prod(strides)});
 * an activation maps a Gaussian pre-activation exactly ({@code E[relu(x)^2] = E[x^2]/2}, He's
 * factor; tanh, sigmoid, GELU, SELU... by quadrature). Additions add (independent branches),
 * concatenations average by channels, normalization layers output {@code E[gamma^2] + E[beta^2]}
 * (batch statistics, as in training), pooling takes the maximum of Gaussians or shrinks the spread
 * of an average, attention averages its projected values over the key positions, recurrent layers
 * iterate their gates and state over the time steps, embeddings start at {@code E[E^2]}, nested and
 * shared models are followed call by call. Without a config (weights-only files) the layers with a
 * kernel, in model order, are treated as one chain. The step where the pre-activation second
 * moment leaves [{@value #VANISHING}, {@value #EXPLODING}] is flagged as vanishing or exploding.
 */
public final class InitReport {
  /** Below this the estimated activation variance is flagged as vanishing. */
  public static final double VANISHING = 1e-2;
  /** Above this the estimated activation variance is flagged as exploding. */
  public static final double EXPLODING = 1e2;
  /** ReLU-like layers with kernels from which a Glorot initializer is flagged. */
  public static final int DEEP_RELU_LAYERS = 8;

  /** The assumptions of the depth estimate, for display. */
  public static final String DEPTH_ASSUMPTIONS =
      "E[x^2] from standard-normal inputs along the model's graph: E[y^2] = fan_in * E[W^2] * E[x^2] per kernel,"
          + " activations applied to Gaussian pre-activations exactly (E[relu(x)^2] = E[x^2]/2), additions add,"
          + " concatenations average by channels, normalisation outputs E[gamma^2] + E[beta^2], pooling, attention"
          + " and recurrence followed (weights-only files: one chain of the kernels in model order)";

  private static final Set<WeightRole> KERNEL_ROLES =
      Set.of(WeightRole.KERNEL, WeightRole.DEPTHWISE_KERNEL, WeightRole.POINTWISE_KERNEL, WeightRole.RECURRENT_KERNEL,
          WeightRole.EMBEDDINGS);
  private static final Set<String> RELU_FAMILY =
      Set.of("relu", "relu6", "elu", "gelu", "swish", "silu", "leakyrelu", "prelu", "mish", "celu", "hardswish",
          "hardsilu", "thresholdedrelu");
  private static final Set<String> SATURATING = Set.of("tanh", "sigmoid", "hardsigmoid", "softsign", "hardtanh");

  /**
   * A warning about one weight or about the model.
   *
   * @param code a stable identifier: {@code zero-kernel}, {@code constant-kernel}, {@code
   *     constant-initializer}, {@code he-saturating}, {@code glorot-deep-relu}, {@code
   *     legacy-normal}, {@code keras1}, {@code dl4j-lecun-uniform}, {@code dl4j-variance-scaling},
   *     {@code dl4j-identity}, {@code custom-initializer}, {@code invalid-initializer}, {@code
   *     unusable-initializer}, {@code non-finite}, {@code depth-vanishing}, {@code depth-exploding}
   * @param layerPath the layer, or null for the model
   * @param weight the weight's short name, or null
   * @param message one line for people
   */
  public record Warning(String code, String layerPath, String weight, String message) {}

  /**
   * The report on one weight.
   *
   * @param site where the weight is
   * @param className the layer class (the wrapper's, e.g. {@code Bidirectional}); "" when unknown
   * @param activation the activation of the (wrapped) layer, or null
   * @param followingActivation the activation a separate following layer applies, or null
   * @param configured the configured initializer
   * @param fans Keras's fans for the shape; null for quantized codes and their state, whose stored
   *     shape (int4: packed) is not the kernel's and whose values no initializer drew
   * @param expectedMean mean the configured initializer implies (NaN when unknown)
   * @param expectedStd standard deviation it implies (NaN when unknown)
   * @param observed the stored values' statistics, or null for non-floating weights
   * @param stdRatio observed std / expected std (NaN when either is unknown or expected is 0)
   * @param recommended what the activation calls for ({@link AutoScheme#choose}), or null to keep
   * @param recommendedReason one line saying why
   * @param warnings warnings about this weight
   * @param notes remarks on how the initializer was written
   * @param quantization the layer's quantization when this weight is one of its quantized values or
   *     their state (then {@code fans} is null and nothing is expected of the stored codes), else null
   */
  public record WeightEntry(WeightSite site, String className, String activation, String followingActivation,
      ConfiguredInitializer configured, Fans fans, double expectedMean, double expectedStd, TensorStats observed,
      double stdRatio, InitializerSpec recommended, String recommendedReason, List<Warning> warnings, List<String> notes,
      Quantization quantization) {
    public WeightEntry {
      warnings = List.copyOf(warnings);
      notes = List.copyOf(notes);
    }

    /** The weight. */
    public Weight weight() {
      return site.weight();
    }

    /**
     * Whether the configured initializer already gives what the recommendation asks for: the same
     * mean and standard deviation for this weight's shape (He uniform satisfies a He normal
     * recommendation; the variance is what the activation calls for). True when both keep the
     * weight; null when either is unknown.
     */
    public Boolean recommendationMet() {
      InitializerSpec c = configured.spec();
      if (c == null || recommended == null) {
        return c == null && recommended == null ? Boolean.TRUE : null;
      }
      if (c instanceof InitializerSpec.Custom) {
        return null;
      }
      if (c.sameDistribution(recommended)) {
        return true;
      }
      try {
        double[] want = expected(recommended, weight().shape(), weight().role(), configured.unitForgetBias());
        return close(want[0], expectedMean) && close(want[1], expectedStd);
      } catch (IllegalArgumentException e) {
        return false;
      }
    }

    private static boolean close(double a, double b) {
      return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
    }
  }

  /**
   * One layer of the depth estimate.
   *
   * @param layerPath the layer
   * @param className its class
   * @param activation the activation whose gain applies (own or following), or null
   * @param fanIn inputs summed per output (NaN for normalisation and embedding steps)
   * @param weightMeanSquare E[W²] used (for normalisation E[gamma²], for embeddings E[E²])
   * @param gain2 the activation's second-moment factor (output E[x²] / pre-activation E[x²])
   * @param variance the estimated second moment E[x²] of the elements after this layer (the
   *     scale He and Glorot preserve; NaN when unknown)
   * @param note how the step was computed, when not a plain kernel step
   * @param mean the estimated mean of the elements after this layer (NaN when not estimated: the
   *     chain estimate of weights-only files)
   * @param gradient the estimated second moment of the loss gradient at this layer's output, for a
   *     unit-variance gradient at the model's outputs (the backward pass; NaN when not estimated)
   */
  public record DepthStep(String layerPath, String className, String activation, double fanIn,
      double weightMeanSquare, double gain2, double variance, String note, double mean, double gradient) {
    /** The estimated standard deviation of the elements after this layer (NaN when unknown). */
    public double std() {
      return Math.sqrt(Math.max(0, variance - (Double.isNaN(mean) ? 0 : mean * mean)));
    }
  }

  /**
   * The depth estimate on one basis.
   *
   * @param basis {@code configured} or {@code observed}
   * @param steps per layer
   * @param finalVariance the variance after the last step (NaN when unknown; 1 when no step)
   * @param status {@code ok}, {@code vanishing}, {@code exploding} (of the final value) or {@code
   *     unknown}
   * @param firstOutOfRange the first layer where the variance left [{@value #VANISHING}, {@value
   *     #EXPLODING}], or null
   * @param inputs the graph: for each layer call (by its path, as the steps name it), the paths of
   *     the tensors it is called on, in argument order (model inputs and layers that leave the
   *     signal as it is have no step); empty for the chain estimate
   */
  public record DepthEstimate(String basis, List<DepthStep> steps, double finalVariance, String status,
      String firstOutOfRange, Map<String, List<String>> inputs) {
    public DepthEstimate {
      steps = List.copyOf(steps);
      inputs = Map.copyOf(inputs);
    }

    /** The paths a step's layer call takes its inputs from (empty when not known). */
    public List<String> inputsOf(DepthStep step) {
      return inputs.getOrDefault(step.layerPath(), List.of());
    }
  }

  private final Model model;
  private final List<WeightEntry> weights;
  private final List<Warning> warnings;
  private final List<Warning> advice;
  private final DepthEstimate configuredDepth;
  private final DepthEstimate observedDepth;
  private final int reluLayers;

  private InitReport(Model model, List<WeightEntry> weights, List<Warning> warnings, List<Warning> advice,
      DepthEstimate configuredDepth, DepthEstimate observedDepth, int reluLayers) {
    this.model = model;
    this.weights = List.copyOf(weights);
    this.warnings = List.copyOf(warnings);
    this.advice = List.copyOf(advice);
    this.configuredDepth = configuredDepth;
    this.observedDepth = observedDepth;
    this.reluLayers = reluLayers;
  }

  /** The model reported on. */
  public Model model() {
    return model;
  }

  /** One entry per layer weight, in model order. */
  public List<WeightEntry> weights() {
    return weights;
  }

  /**
   * Every warning: the weights' in model order (a Keras 1 remark once per layer), then the model's.
   */
  public List<Warning> warnings() {
    return warnings;
  }

  /**
   * What the literature advises for the architecture families the model's graph shows (residual
   * branches, recurrent and depthwise kernels), where the configured initializers do otherwise;
   * codes start with {@code advice-}.
   */
  public List<Warning> advice() {
    return advice;
  }

  /** The depth estimate under the configured initializers. */
  public DepthEstimate configuredDepth() {
    return configuredDepth;
  }

  /** The depth estimate from the weights stored in the file. */
  public DepthEstimate observedDepth() {
    return observedDepth;
  }

  /** Number of layers with a kernel whose activation is ReLU-like. */
  public int reluLayers() {
    return reluLayers;
  }

  /** {@link #of(LoadedModel, ProgressListener)} without a listener. */
  public static InitReport of(LoadedModel loaded) throws IOException {
    return of(loaded, ProgressListener.NONE);
  }

  /**
   * Builds the report, reading every floating-point layer weight once.
   *
   * @param listener told about each tensor before it is read
   * @throws IOException when values cannot be read (or the thread is interrupted)
   */
  public static InitReport of(LoadedModel loaded, ProgressListener listener) throws IOException {
    Objects.requireNonNull(listener, "listener");
    Model model = loaded.model();
    List<WeightSite> sites = WeightSite.of(model);
    Map<Layer, String> following = LayerConfigs.followingActivations(model);
    ByteBuffer buffer = ByteBuffer.allocateDirect(TensorStats.BLOCK_BYTES);

    // first pass over configs: how many kernel layers are ReLU-like (for the deep-stack warning)
    Map<Layer, String> activations = new IdentityHashMap<>();
    int relu = 0;
    for (WeightSite s : sites) {
      if (activations.containsKey(s.layer())) {
        continue;
      }
      String a = effectiveActivation(s.layer(), following.get(s.layer()));
      activations.put(s.layer(), a);
      if (hasKernel(s.layer()) && a != null && RELU_FAMILY.contains(LayerConfigs.normalise(a))) {
        relu++;
      }
    }

    List<WeightEntry> entries = new ArrayList<>();
    List<Warning> all = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < sites.size(); i++) {
      WeightSite s = sites.get(i);
      Weight w = s.weight();
      listener.tensor(i, sites.size(), s.layerPath() + "/" + w.shortName(), w.shape().elementCount());
      TensorStats stats = w.dtype().isFloating() ? TensorStats.of(w, loaded.tensors(), buffer) : null;
      WeightEntry e = entry(s, following.get(s.layer()), activations.get(s.layer()), stats, relu);
      entries.add(e);
      for (Warning x : e.warnings()) {
        // one line per layer for remarks that do not depend on the weight (Keras 1 notes)
        if (!x.code().equals("keras1") || seen.add(x.layerPath() + "\u0000" + x.message())) {
          all.add(x);
        }
      }
    }
    DepthEstimate conf = SignalEstimate.of(model, entries, false);
    DepthEstimate obs = SignalEstimate.of(model, entries, true);
    if (conf == null || obs == null) {
      conf = chainEstimate(entries, false);
      obs = chainEstimate(entries, true);
    }
    if (!conf.status().equals("vanishing")) {
      // the deep-ReLU remark holds only where the estimate says the signal vanishes
      all.removeIf(w -> w.code().equals("glorot-deep-relu"));
      entries.replaceAll(e -> e.warnings().stream().noneMatch(w -> w.code().equals("glorot-deep-relu")) ? e
          : new WeightEntry(e.site(), e.className(), e.activation(), e.followingActivation(), e.configured(), e.fans(),
              e.expectedMean(), e.expectedStd(), e.observed(), e.stdRatio(), e.recommended(), e.recommendedReason(),
              e.warnings().stream().filter(w -> !w.code().equals("glorot-deep-relu")).toList(), e.notes(),
              e.quantization()));
    }
    for (DepthEstimate d : List.of(conf, obs)) {
      if (d.status().equals("vanishing") || d.status().equals("exploding")) {
        all.add(new Warning("depth-" + d.status(), null, null, String.format(Locale.ROOT,
            "%s weights: the estimated signal %s at %s (E[x^2] leaves [%s, %s]; %.3g at the output)%s",
            d.basis(), d.status().equals("vanishing") ? "vanishes" : "explodes", d.firstOutOfRange(),
            fmt(VANISHING), fmt(EXPLODING), d.finalVariance(),
            d.status().equals("vanishing") && relu > 0 ? ": He initialization keeps E[x^2] through ReLU layers" : "")));
      }
    }
    dev.initkit.ModelIO.verifyStoredBytes(loaded); // statistics of damaged bytes are no report
    return new InitReport(model, entries, all, ArchitectureAdvice.of(model, entries), conf, obs, relu);
  }

  private static boolean hasKernel(Layer l) {
    for (Weight w : l.weights()) {
      if (w.role() == WeightRole.KERNEL || w.role() == WeightRole.DEPTHWISE_KERNEL) {
        return true;
      }
    }
    return false;
  }

  /** The layer's own activation (through wrappers), or the following one when it is linear or none. */
  private static String effectiveActivation(Layer layer, String following) {
    String own = LayerConfigs.effective(layer, 0, WeightRole.KERNEL).activation();
    if ((own == null || LayerConfigs.normalise(own).equals("linear")) && following != null) {
      return following;
    }
    return own;
  }

  private static WeightEntry entry(WeightSite s, String following, String activation, TensorStats stats, int reluLayers) {
    Layer layer = s.layer();
    Weight w = s.weight();
    WeightRole role = w.role();
    int index = layer.weights().indexOf(w);
    ConfiguredInitializer c = ConfiguredInitializer.of(layer, index, role);
    Quantization q = QuantizedWeights.of(s).orElse(null);
    if (q != null && q.part(w.shortName()) != Quantization.Part.SCALED_FLOAT) {
      // codes and scales: no initializer drew them, and int4 codes are packed, so fans and an
      // expected spread would describe another tensor; the stored statistics of float state stay
      return new WeightEntry(s, layer.className(), LayerConfigs.effective(layer, index, role).activation(), following, c,
          null, Double.NaN, Double.NaN, stats, Double.NaN, null,
          "quantized: kept as Keras's quantize computed it", List.of(),
          List.of("quantized: " + QuantizedWeights.describe(q, w)), q);
    }
    // the configured initializer's own fans: Keras 3.15's axes where it sets them, else the classic rule
    Fans fans = c.spec() instanceof InitializerSpec.VarianceScaling ? c.spec().fans(w.shape()) : Fans.of(w.shape());
    List<Warning> warns = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    String path = s.layerPath();
    String wn = w.shortName();

    double eMean = Double.NaN;
    double eStd = Double.NaN;
    InitializerSpec spec = c.spec();
    if (spec != null && !(spec instanceof InitializerSpec.Custom)) {
      try {
        double[] m = expected(spec, w.shape(), role, c.unitForgetBias());
        eMean = m[0];
        eStd = m[1];
      } catch (IllegalArgumentException ex) {
        warns.add(new Warning("unusable-initializer", path, wn, spec.describe() + " cannot initialize shape "
            + w.shape() + ": " + ex.getMessage()));
      }
    }
    double ratio = stats != null && Double.isFinite(eStd) && eStd > 0 && Double.isFinite(stats.std())
        ? stats.std() / eStd : Double.NaN;

    AutoScheme.Choice rec = AutoScheme.choose(layer, role, following);

    if (spec != null) {
      notes.addAll(spec.notes());
      Fans classic = Fans.of(w.shape());
      spec.fanAxes().ifPresent(a -> notes.add("fans " + fans.fanIn() + "/" + fans.fanOut() + " on input axes " + a.get(0)
          + ", output axes " + a.get(1) + ": the rule of the Keras that wrote the file (3.15+, keras pull request 22789);"
          + " Keras before 3.15 computes " + classic.fanIn() + "/" + classic.fanOut()));
    }
    // configured initializer
    switch (c.source()) {
      case INVALID:
        warns.add(new Warning("invalid-initializer", path, wn, "invalid initializer config (" + c.key() + "): " + c.error()));
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
      warns.add(new Warning("custom-initializer", path, wn, spec.describe()
          + ": initkit keeps it verbatim and cannot draw it (reinit leaves this weight as it is)"));
    }
    if (spec != null && spec.legacyNormal()) {
      warns.add(new Warning("legacy-normal", path, wn, "VarianceScaling with distribution 'normal' was written by old Keras"
          + " (2.0-2.1) or tfjs, where it meant a truncated normal without the 0.8796 correction (std about 12% low);"
          + " current Keras draws the corrected truncated normal"));
    }
    boolean kernelRole = KERNEL_ROLES.contains(role);
    if (kernelRole && spec != null && isConstant(spec) && w.shape().elementCount() > 1) {
      warns.add(new Warning("constant-initializer", path, wn, "configured " + spec.describe() + " on a " + role.label()
          + ": every unit of a freshly built model starts identical, so symmetry is never broken"));
    }
    if (kernelRole && stats != null && stats.constant()) {
      boolean zero = stats.min() == 0;
      warns.add(new Warning(zero ? "zero-kernel" : "constant-kernel", path, wn, "all " + stats.count() + " values are "
          + (zero ? "zero" : "equal (" + fmt(stats.min()) + ")")
          + ": the units get identical gradients, so symmetry is not broken"));
    }
    if (stats != null && stats.nonFinite() > 0) {
      warns.add(new Warning("non-finite", path, wn, stats.nonFinite() + " NaN or infinite values"));
    }
    String act = activation == null ? null : LayerConfigs.normalise(activation);
    if (spec != null && role != WeightRole.RECURRENT_KERNEL && role != WeightRole.BIAS && isHe(spec) && act != null
        && SATURATING.contains(act)) {
      warns.add(new Warning("he-saturating", path, wn, spec.describe() + " (variance 2/fan_in) under " + activation
          + ": twice the variance a " + activation + " unit keeps in its linear range, pushing it into saturation;"
          + " Glorot (or LeCun) suits " + activation));
    }
    if (spec != null && (role == WeightRole.KERNEL || role == WeightRole.DEPTHWISE_KERNEL) && isGlorot(spec) && act != null
        && RELU_FAMILY.contains(act) && reluLayers > 0) {
      warns.add(new Warning("glorot-deep-relu", path, wn, spec.describe() + " under " + activation + " in a stack of "
          + reluLayers + " ReLU-like layers: each layer roughly halves the activation variance (Glorot keeps 1/fan_avg,"
          + " ReLU needs 2/fan_in); He normal keeps it"));
    }
    // the DL4J Keras importer's known mapping traps
    if (spec instanceof InitializerSpec.VarianceScaling vs && vs.preset() == InitializerSpec.Preset.LECUN_UNIFORM && !spec.legacyVarianceScalingForm()) {
      warns.add(new Warning("dl4j-lecun-uniform", path, wn, "DL4J's Keras import maps LecunUniform to U(±3/sqrt(fan_in)),"
          + " 3x the variance Keras's U(±sqrt(3/fan_in)) has"));
    }
    if (writtenAsVarianceScaling(c) && spec instanceof InitializerSpec.VarianceScaling vs
        && vs.distribution() != InitializerSpec.Distribution.UNIFORM && !spec.legacyNormal()) {
      warns.add(new Warning("dl4j-variance-scaling", path, wn, "DL4J's Keras import reads VarianceScaling with distribution '"
          + vs.distribution().kerasName() + "' as a uniform distribution (it only tests for \"normal\"):"
          + " same variance, different shape"));
    }
    if (spec instanceof InitializerSpec.Identity && w.shape().rank() == 2
        && w.shape().dim(0) != w.shape().dim(1)) {
      warns.add(new Warning("dl4j-identity", path, wn, "Identity on a non-square " + w.shape()
          + " kernel: Keras allows it, DL4J's import accepts only square matrices"));
    }
    if (q != null) {
      notes.add("quantized: " + QuantizedWeights.describe(q, w));
    }
    return new WeightEntry(s, layer.className(), LayerConfigs.effective(layer, index, role).activation(), following, c,
        fans, eMean, eStd, stats, ratio, q == null ? rec.spec() : null,
        q == null ? rec.reason() : "quantized: kept as Keras's quantize calibrated it", warns, notes, q);
  }

  /** Mean and std a spec implies, with the LSTM forget-gate ones where they apply. */
  private static double[] expected(InitializerSpec spec, Shape shape, WeightRole role, boolean unitForgetBias) {
    if (unitForgetBias && shape.rank() == 1 && shape.dim(0) % 4 == 0 && shape.dim(0) > 0) {
      long u = shape.dim(0) / 4;
      Shape s1 = Shape.of(u);
      Shape s2 = Shape.of(2 * u);
      double m1 = SpecStatistics.expectedMean(spec, s1, role);
      double v1 = sq(SpecStatistics.expectedStd(spec, s1, role));
      double m2 = SpecStatistics.expectedMean(spec, s2, role);
      double v2 = sq(SpecStatistics.expectedStd(spec, s2, role));
      double mean = (m1 + 1 + 2 * m2) / 4;
      double ms = ((v1 + m1 * m1) + 1 + 2 * (v2 + m2 * m2)) / 4;
      return new double[] {mean, Math.sqrt(Math.max(0, ms - mean * mean))};
    }
    return new double[] {SpecStatistics.expectedMean(spec, shape, role), SpecStatistics.expectedStd(spec, shape, role)};
  }

  private static boolean writtenAsVarianceScaling(ConfiguredInitializer c) {
    if (c.asWritten() == null) {
      return false;
    }
    String cn = c.asWritten().isTextual() ? c.asWritten().asText() : c.asWritten().path("class_name").asText("");
    return LayerConfigs.normalise(cn).equals("variancescaling");
  }

  private static boolean isConstant(InitializerSpec s) {
    return s instanceof InitializerSpec.Fixed;
  }

  private static boolean isHe(InitializerSpec s) {
    return s instanceof InitializerSpec.VarianceScaling v && v.mode() == InitializerSpec.Mode.FAN_IN
        && Math.abs(v.scale() - 2.0) < 1e-9;
  }

  private static boolean isGlorot(InitializerSpec s) {
    return s instanceof InitializerSpec.VarianceScaling v && v.mode() == InitializerSpec.Mode.FAN_AVG
        && Math.abs(v.scale() - 1.0) < 1e-9;
  }

  // ------------------------------------------------------------------------------------------
  // depth estimate

  /** The chain estimate (weights-only files; kept to compare the graph estimate against). */
  static DepthEstimate chainEstimate(List<WeightEntry> entries, boolean observed) {
    String basis = observed ? "observed" : "configured";
    Map<Layer, List<WeightEntry>> byLayer = new IdentityHashMap<>();
    Map<Layer, Boolean> seen = new IdentityHashMap<>();
    List<Layer> order = new ArrayList<>();
    for (WeightEntry e : entries) {
      Layer l = e.site().layer();
      if (seen.put(l, Boolean.TRUE) == null) {
        order.add(l);
      }
      byLayer.computeIfAbsent(l, k -> new ArrayList<>()).add(e);
    }
    List<DepthStep> steps = new ArrayList<>();
    double v = 1.0;
    String first = null;
    for (Layer l : order) {
      List<WeightEntry> ws = byLayer.get(l);
      String path = ws.get(0).site().layerPath();
      String cls = l.className();
      WeightEntry gamma = find(ws, WeightRole.GAMMA);
      WeightEntry kernel = find(ws, WeightRole.KERNEL);
      WeightEntry dw = find(ws, WeightRole.DEPTHWISE_KERNEL);
      WeightEntry pw = find(ws, WeightRole.POINTWISE_KERNEL);
      WeightEntry emb = find(ws, WeightRole.EMBEDDINGS);
      DepthStep step;
      if (LayerFamily.NORMALIZATION.contains(cls) || (gamma != null && kernel == null && dw == null)) {
        double g = gamma == null ? 1.0 : meanSquare(gamma, observed);
        v = g;
        step = new DepthStep(path, cls, null, Double.NaN, g, 1, v, "normalises: resets to E[gamma^2]", Double.NaN, Double.NaN);
      } else if (ws.stream().anyMatch(e -> e.quantization() != null && e.fans() == null)) {
        // int codes stand for a kernel only with their scales: not estimated (as attention)
        step = new DepthStep(path, cls, null, Double.NaN, Double.NaN, 1, v,
            "quantized (" + ws.get(0).quantization().mode() + "): passed through (not estimated)", Double.NaN, Double.NaN);
      } else if (emb != null) {
        double m = meanSquare(emb, observed);
        v = m;
        step = new DepthStep(path, cls, null, Double.NaN, m, 1, v, "embedding: starts at E[E^2]", Double.NaN, Double.NaN);
      } else if (LayerFamily.ATTENTION.contains(cls)) {
        step = new DepthStep(path, cls, null, Double.NaN, Double.NaN, 1, v, "attention: passed through (not estimated)", Double.NaN, Double.NaN);
      } else if (kernel != null || dw != null) {
        String act = effectiveActivation(l, ws.get(0).followingActivation());
        double g2 = gain2(act);
        double fanIn;
        double ms;
        String note = null;
        if (dw != null) {
          Shape s = dw.weight().shape();
          double k = 1;
          for (int i = 0; i < s.rank() - 2; i++) {
            k *= s.dim(i);
          }
          fanIn = k;
          ms = meanSquare(dw, observed);
          note = "depthwise: fan_in = prod(kernel_size)";
          if (pw != null) {
            double pf = pw.fans().fanIn();
            ms = ms * pf * meanSquare(pw, observed);
            note = "separable: prod(kernel_size) * E[Wd^2] * fan_in(pointwise) * E[Wp^2]";
          }
        } else {
          fanIn = kernel.fans().fanIn();
          ms = meanSquare(kernel, observed);
          if (LayerFamily.TRANSPOSED_CONV.contains(cls) && kernel.weight().shape().rank() >= 3) {
            fanIn = ConvGeometry.transposedFanIn(LayerConfigs.effective(l, 0, WeightRole.KERNEL).config(),
                kernel.weight().shape());
            note = "transposed: fan_in = in * prod(kernel_size) / prod(strides)";
          } else if (find(ws, WeightRole.RECURRENT_KERNEL) != null) {
            note = "recurrent: input kernel only";
          }
        }
        v = fanIn * ms * g2 * v;
        step = new DepthStep(path, cls, act, fanIn, ms, g2, v, note, Double.NaN, Double.NaN);
      } else {
        continue; // weights without a kernel role (PReLU alpha...): no step
      }
      steps.add(step);
      if (first == null && Double.isFinite(v) && (v < VANISHING || v > EXPLODING)) {
        first = path;
      }
    }
    String status;
    if (!Double.isFinite(v)) {
      status = "unknown";
    } else if (v < VANISHING) {
      status = "vanishing";
    } else if (v > EXPLODING) {
      status = "exploding";
    } else {
      status = "ok";
    }
    return new DepthEstimate(basis, steps, v, status, first, Map.of());
  }

  private static WeightEntry find(List<WeightEntry> ws, WeightRole role) {
    for (WeightEntry e : ws) {
      if (e.weight().role() == role) {
        return e;
      }
    }
    return null;
  }

  private static double meanSquare(WeightEntry e, boolean observed) {
    if (observed) {
      return e.observed() == null ? Double.NaN : e.observed().meanSquare();
    }
    return e.expectedStd() * e.expectedStd() + e.expectedMean() * e.expectedMean();
  }

  /** The activation's second-moment factor (see the class comment). */
  public static double gain2(String activation) {
    if (activation == null) {
      return 1;
    }
    String a = LayerConfigs.normalise(activation);
    if (RELU_FAMILY.contains(a)) {
      return 0.5;
    }
    return 1;
  }

  private static double sq(double x) {
    return x * x;
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.4g", x);
  }
}

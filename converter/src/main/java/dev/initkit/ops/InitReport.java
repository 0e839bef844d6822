package dev.initkit.ops;

import dev.initkit.init.AutoScheme;
import dev.initkit.init.Fans;
import dev.initkit.init.InitializerSpec;
import dev.initkit.keras.Activations;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.Quantization;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How every weight of a model is, and should be, initialized: the configured initializer (canonical
 * and as written), Keras's fans, the standard deviation the initializer implies, the statistics of
 * the stored values, the scheme the layer's activation calls for, and warnings; at model level a
 * data-free estimate of how activation variance evolves through depth.
 *
 * <p>The work is split by job: {@link WeightAudit} audits each weight, {@link InitWarnings} warns,
 * {@link DepthModel} estimates the signal through depth; this class holds their results. Values are
 * read tensor by tensor through a bounded buffer ({@link TensorStats}); nothing else is held in
 * memory. Immutable once built; thread-safe.
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
 * kernel, in model order, are treated as one chain. The step where the pre-activation second moment
 * leaves [{@value #VANISHING}, {@value #EXPLODING}] is flagged as vanishing or exploding.
 */
public final class InitReport {
  /**
   * Below this the estimated activation variance is flagged as vanishing ({@link
   * DepthModel#VANISHING}).
   */
  public static final double VANISHING = DepthModel.VANISHING;

  /**
   * Above this the estimated activation variance is flagged as exploding ({@link
   * DepthModel#EXPLODING}).
   */
  public static final double EXPLODING = DepthModel.EXPLODING;

  /** ReLU-like layers with kernels from which a Glorot initializer is flagged. */
  public static final int DEEP_RELU_LAYERS = 8;

  /** The assumptions of the depth estimate, for display ({@link DepthModel#DEPTH_ASSUMPTIONS}). */
  public static final String DEPTH_ASSUMPTIONS = DepthModel.DEPTH_ASSUMPTIONS;

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
   *     their state (then {@code fans} is null and nothing is expected of the stored codes), else
   *     null
   */
  public record WeightEntry(
      WeightSite site,
      String className,
      String activation,
      String followingActivation,
      ConfiguredInitializer configured,
      Fans fans,
      double expectedMean,
      double expectedStd,
      TensorStats observed,
      double stdRatio,
      InitializerSpec recommended,
      String recommendedReason,
      List<Warning> warnings,
      List<String> notes,
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
        return (c == null && recommended == null) ? Boolean.TRUE : null;
      }
      if (c instanceof InitializerSpec.Custom) {
        return null;
      }
      if (c.sameDistribution(recommended)) {
        return true;
      }
      try {
        double[] want =
            WeightAudit.expected(
                recommended, weight().shape(), weight().role(), configured.unitForgetBias());
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
   * @param variance the estimated second moment E[x²] of the elements after this layer (the scale
   *     He and Glorot preserve; NaN when unknown)
   * @param note how the step was computed, when not a plain kernel step
   * @param mean the estimated mean of the elements after this layer (NaN when not estimated: the
   *     chain estimate of weights-only files)
   * @param gradient the estimated second moment of the loss gradient at this layer's output, for a
   *     unit-variance gradient at the model's outputs (the backward pass; NaN when not estimated)
   */
  public record DepthStep(
      String layerPath,
      String className,
      String activation,
      double fanIn,
      double weightMeanSquare,
      double gain2,
      double variance,
      String note,
      double mean,
      double gradient) {
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
  public record DepthEstimate(
      String basis,
      List<DepthStep> steps,
      double finalVariance,
      String status,
      String firstOutOfRange,
      Map<String, List<String>> inputs) {
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

  private InitReport(
      Model model,
      List<WeightEntry> weights,
      List<Warning> warnings,
      List<Warning> advice,
      DepthEstimate configuredDepth,
      DepthEstimate observedDepth,
      int reluLayers) {
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
    return of(loaded, listener, Long.MAX_VALUE);
  }

  /**
   * Builds the report from a sample of each weight: a weight of at most {@code sampleBytes} is read
   * whole, a larger one as evenly spaced runs of rows of about that many bytes in all ({@link
   * TensorStats#sampled}), so a large file costs its metadata and the samples. The observed
   * statistics of a sampled weight are those of its sample.
   *
   * @param listener told about each tensor before it is read
   * @param sampleBytes the most bytes read of one weight ({@link Long#MAX_VALUE}: every byte)
   * @throws IOException when values cannot be read (or the thread is interrupted)
   */
  public static InitReport of(LoadedModel loaded, ProgressListener listener, long sampleBytes)
      throws IOException {
    return build(loaded, listener, sampleBytes, false);
  }

  /**
   * The weights and warnings of {@link #of(LoadedModel, ProgressListener, long)}, the same ones,
   * for audits of many files ({@code initkit scan}): the depth estimates are computed forward only,
   * which is all their warnings read (the status, the first layer out of range, the final value),
   * without the gradients of the backward pass and the Monte Carlo estimate of an output softmax
   * that only the printed report shows; no {@link #advice()}. The estimates' steps carry no
   * gradients, and a softmax step no output moment.
   *
   * @param sampleBytes the most bytes read of one weight
   * @throws IOException when values cannot be read (or the thread is interrupted)
   */
  public static InitReport forWarnings(LoadedModel loaded, long sampleBytes) throws IOException {
    return build(loaded, ProgressListener.NONE, sampleBytes, true);
  }

  private static InitReport build(
      LoadedModel loaded, ProgressListener listener, long sampleBytes, boolean warningsOnly)
      throws IOException {
    Objects.requireNonNull(listener, "listener");
    Model model = loaded.model();
    List<WeightSite> sites = WeightSite.of(model);
    Map<Layer, String> following = LayerConfigs.followingActivations(model);
    // as large as the largest weight needs, up to a block: a small model's report (a scan does
    // thousands) must not reserve 4 MiB of native memory that only a GC gives back
    long largest = 1;
    for (WeightSite s : sites) {
      Weight w = s.weight();
      largest = Math.max(largest, w.shape().elementCount() * w.dtype().size());
    }
    ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(TensorStats.BLOCK_BYTES, largest));

    // first pass over configs: how many kernel layers are ReLU-like (for the deep-stack warning)
    Map<Layer, String> activations = new IdentityHashMap<>();
    int relu = 0;
    for (WeightSite s : sites) {
      if (activations.containsKey(s.layer())) {
        continue;
      }
      String a = WeightAudit.effectiveActivation(s.layer(), following.get(s.layer()));
      activations.put(s.layer(), a);
      if (WeightAudit.hasKernel(s.layer()) && a != null && Activations.isRectifier(a)) {
        relu++;
      }
    }

    List<WeightEntry> entries = new ArrayList<>();
    for (int i = 0; i < sites.size(); i++) {
      WeightSite s = sites.get(i);
      Weight w = s.weight();
      listener.tensor(
          i, sites.size(), s.layerPath() + "/" + w.shortName(), w.shape().elementCount());
      TensorStats stats =
          w.dtype().isFloating()
              ? TensorStats.sampled(w, loaded.tensors(), buffer, sampleBytes)
              : null;
      entries.add(
          WeightAudit.entry(s, following.get(s.layer()), activations.get(s.layer()), stats, relu));
    }
    List<Warning> all = InitWarnings.ofWeights(entries);
    List<DepthEstimate> depth = DepthModel.of(model, entries, warningsOnly);
    DepthEstimate conf = depth.get(0);
    DepthEstimate obs = depth.get(1);
    InitWarnings.keepDeepReluWhereVanishing(conf, all, entries);
    all.addAll(InitWarnings.ofDepth(depth, relu));
    dev.initkit.ModelIO.verifyStoredBytes(loaded); // statistics of damaged bytes are no report
    return new InitReport(
        model,
        entries,
        all,
        warningsOnly ? List.of() : ArchitectureAdvice.of(model, entries),
        conf,
        obs,
        relu);
  }
}

package dev.initkit.model;

import java.util.Locale;

/** What a weight is to its layer; decides fan rules and which initializer key configures it. */
public enum WeightRole {
  KERNEL("kernel_initializer"),
  RECURRENT_KERNEL("recurrent_initializer"),
  BIAS("bias_initializer"),
  GAMMA("gamma_initializer"),
  BETA("beta_initializer"),
  MOVING_MEAN("moving_mean_initializer"),
  MOVING_VARIANCE("moving_variance_initializer"),
  EMBEDDINGS("embeddings_initializer"),
  DEPTHWISE_KERNEL("depthwise_initializer"),
  POINTWISE_KERNEL("pointwise_initializer"),
  ALPHA("alpha_initializer"),
  OTHER(null);

  private final String initializerKey;

  WeightRole(String initializerKey) {
    this.initializerKey = initializerKey;
  }

  /** The layer-config key that holds this weight's initializer, or null. */
  public String initializerKey() {
    return initializerKey;
  }

  /** Lower-case name for reports, e.g. {@code recurrent_kernel}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The role of a weight of a layer class: the name's role, except where Keras generations name the
   * same variable differently (Keras 3 calls DepthwiseConv's depthwise kernel {@code kernel}).
   */
  public static WeightRole of(String className, String variableName) {
    WeightRole r = fromVariableName(variableName);
    if (r == KERNEL && className.startsWith("DepthwiseConv")) {
      return DEPTHWISE_KERNEL;
    }
    return r;
  }

  /**
   * The role of a weight from its variable name: the last path component without {@code :0} (Keras
   * 2 {@code dense/kernel:0}, Keras 1 {@code dense_1_W}, Keras 3 {@code kernel}).
   */
  public static WeightRole fromVariableName(String name) {
    String n = name;
    int slash = n.lastIndexOf('/');
    if (slash >= 0) {
      n = n.substring(slash + 1);
    }
    int colon = n.indexOf(':');
    if (colon >= 0) {
      n = n.substring(0, colon);
    }
    n = n.toLowerCase(Locale.ROOT);
    switch (n) {
      case "kernel":
        return KERNEL;
      case "recurrent_kernel":
        return RECURRENT_KERNEL;
      case "bias":
        return BIAS;
      case "gamma":
        return GAMMA;
      case "beta":
        return BETA;
      case "moving_mean":
      case "running_mean":
        return MOVING_MEAN;
      case "moving_variance":
      case "running_std":
        return MOVING_VARIANCE;
      case "embeddings":
        return EMBEDDINGS;
      case "depthwise_kernel":
        return DEPTHWISE_KERNEL;
      case "pointwise_kernel":
        return POINTWISE_KERNEL;
      case "alpha":
        return ALPHA;
      default:
        break;
    }
    // Keras 1 names: <layer>_W, <layer>_b, <layer>_U, <layer>_gamma, per-gate <layer>_W_i ...
    n = n.replaceFirst("_([wub])_[a-z]$", "_$1");
    if (n.endsWith("_w")) return KERNEL;
    if (n.endsWith("_b")) return BIAS;
    if (n.endsWith("_u")) return RECURRENT_KERNEL;
    if (n.endsWith("_gamma")) return GAMMA;
    if (n.endsWith("_beta")) return BETA;
    if (n.endsWith("_running_mean")) return MOVING_MEAN;
    if (n.endsWith("_running_std")) return MOVING_VARIANCE;
    return OTHER;
  }
}

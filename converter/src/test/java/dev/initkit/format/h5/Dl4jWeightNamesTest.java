package dev.initkit.format.h5;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The dataset names of the dl4j form: DL4J cuts the layer's name (its first occurrence) out of the
 * dataset name and keeps the rest as the parameter name ({@code
 * KerasModelUtils.findParameterName}).
 */
class Dl4jWeightNamesTest {
  @Test
  void eachNameIsPrefixedWithItsLayer() {
    assertEquals("dense/dense_kernel:0", KerasH5Writer.dl4jName("mlp/dense/kernel", "dense"));
    assertEquals("embed/embed_embeddings:0", KerasH5Writer.dl4jName("embed/embeddings:0", "embed"));
  }

  @Test
  void aWeightNamedLikeItsLayerIsPrefixedToo() {
    // layer "depthwise": DL4J would read "depthwise_kernel:0" as "kernel" and miss depthwise_kernel
    assertEquals(
        "depthwise/depthwise_depthwise_kernel:0",
        KerasH5Writer.dl4jName("depthwise/depthwise_kernel:0", "depthwise"));
  }

  @Test
  void keras3sDepthwiseKernelGetsItsKeras2Name() {
    assertEquals(
        "m/dw/depthwise_kernel", KerasH5Writer.keras2Name("m/dw/kernel", "DepthwiseConv2D"));
    assertEquals(
        "dw/depthwise_kernel:0",
        KerasH5Writer.keras2Name("dw/depthwise_kernel:0", "DepthwiseConv2D"));
    assertEquals("m/conv/kernel", KerasH5Writer.keras2Name("m/conv/kernel", "Conv2D"));
  }

  @Test
  void theOldLayerPrefixedFormStaysAsItIs() {
    assertEquals("dense_1/dense_1_W:0", KerasH5Writer.dl4jName("dense_1/dense_1_W:0", "dense_1"));
  }
}

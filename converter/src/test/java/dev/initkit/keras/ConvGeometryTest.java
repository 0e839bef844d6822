package dev.initkit.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.initkit.model.Shape;
import org.junit.jupiter.api.Test;

class ConvGeometryTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  @Test
  void keras2And3Forms() throws Exception {
    JsonNode c =
        json(
            "{\"kernel_size\": [3, 5], \"strides\": [2, 1], \"dilation_rate\": [1, 2], \"padding\": \"same\"}");
    assertArrayEquals(new long[] {3, 5}, ConvGeometry.kernelSize(c, 2));
    assertArrayEquals(new long[] {2, 1}, ConvGeometry.strides(c, 2));
    assertArrayEquals(new long[] {1, 2}, ConvGeometry.dilation(c, 2));
    assertTrue(ConvGeometry.samePadding(c));
    assertEquals(2, ConvGeometry.strideProduct(c, 2));
    // one number stands for every spatial axis
    JsonNode one = json("{\"kernel_size\": 3, \"strides\": 2, \"padding\": \"valid\"}");
    assertArrayEquals(new long[] {3, 3, 3}, ConvGeometry.kernelSize(one, 3));
    assertArrayEquals(new long[] {2, 2, 2}, ConvGeometry.strides(one, 3));
    assertEquals(8, ConvGeometry.strideProduct(one, 3));
    assertFalse(ConvGeometry.samePadding(one));
  }

  @Test
  void keras1Forms() throws Exception {
    JsonNode c2 =
        json(
            "{\"nb_filter\": 8, \"nb_row\": 3, \"nb_col\": 5, \"subsample\": [2, 3], \"border_mode\": \"same\","
                + " \"atrous_rate\": [2, 2]}");
    assertArrayEquals(new long[] {3, 5}, ConvGeometry.kernelSize(c2, 2));
    assertArrayEquals(new long[] {2, 3}, ConvGeometry.strides(c2, 2));
    assertArrayEquals(new long[] {2, 2}, ConvGeometry.dilation(c2, 2));
    assertTrue(ConvGeometry.samePadding(c2));
    assertEquals(6, ConvGeometry.strideProduct(c2, 2));
    JsonNode c1 =
        json("{\"filter_length\": 4, \"subsample_length\": 2, \"border_mode\": \"valid\"}");
    assertArrayEquals(new long[] {4}, ConvGeometry.kernelSize(c1, 1));
    assertArrayEquals(new long[] {2}, ConvGeometry.strides(c1, 1));
    assertFalse(ConvGeometry.samePadding(c1));
    JsonNode c3 =
        json(
            "{\"kernel_dim1\": 2, \"kernel_dim2\": 3, \"kernel_dim3\": 4, \"subsample\": [1, 1, 2]}");
    assertArrayEquals(new long[] {2, 3, 4}, ConvGeometry.kernelSize(c3, 3));
    assertArrayEquals(new long[] {1, 1, 2}, ConvGeometry.strides(c3, 3));
  }

  @Test
  void defaults() throws Exception {
    JsonNode none = json("{\"strides\": null}");
    assertArrayEquals(new long[] {1, 1}, ConvGeometry.strides(none, 2));
    assertArrayEquals(new long[] {1, 1}, ConvGeometry.dilation(none, 2));
    assertNull(ConvGeometry.kernelSize(none, 2));
    assertFalse(ConvGeometry.samePadding(none));
    assertEquals(1, ConvGeometry.strideProduct(none, 2));
    assertArrayEquals(new long[] {1, 1}, ConvGeometry.strides(null, 2));
    // the current key wins over a stale Keras 1 one
    assertArrayEquals(
        new long[] {3, 3},
        ConvGeometry.strides(json("{\"strides\": [3, 3], \"subsample\": [2, 2]}"), 2));
  }

  @Test
  void transposedFanIn() throws Exception {
    // kernel (kh, kw, filters, in): in * prod(kernel_size) / prod(strides)
    Shape k = Shape.of(3, 3, 8, 4);
    assertEquals(
        4 * 9 / 4.0, ConvGeometry.transposedFanIn(json("{\"strides\": [2, 2]}"), k), 1e-12);
    assertEquals(4 * 9 / 4.0, ConvGeometry.transposedFanIn(json("{\"strides\": 2}"), k), 1e-12);
    assertEquals(4 * 9, ConvGeometry.transposedFanIn(json("{}"), k), 1e-12);
    assertEquals(
        4 * 9 / 6.0, ConvGeometry.transposedFanIn(json("{\"subsample\": [2, 3]}"), k), 1e-12);
    // never below one input
    assertEquals(
        1,
        ConvGeometry.transposedFanIn(json("{\"strides\": [4, 4]}"), Shape.of(1, 1, 8, 2)),
        1e-12);
  }
}

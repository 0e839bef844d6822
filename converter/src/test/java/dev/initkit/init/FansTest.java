package dev.initkit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.initkit.model.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Fans of every layer kind's weight shape. The expected numbers came from Keras 3.12 {@code
 * keras.src.initializers.random_initializers.compute_fans}, run in the project venv on these shapes
 * (tf.keras 2.x {@code _compute_fans} gives the same).
 */
class FansTest {

  @ParameterizedTest(name = "{0}: {1} -> ({2}, {3})")
  @CsvSource(
      delimiter = ';',
      value = {
        "scalar;                                 ;1;1",
        "rank-1 (7,);                           7;7;7",
        "Dense bias (128,);                   128;128;128",
        "Dense kernel (in, units);        784,128;784;128",
        "Conv1D (k, in, filters);          3,16,32;48;96",
        "Conv2D (kh, kw, in, filters);    3,3,3,64;27;576",
        "Conv3D (k, k, k, in, filters); 3,3,3,8,16;216;432",
        "Conv2DTranspose (k, k, filters, in); 4,4,32,64;512;1024",
        "DepthwiseConv2D (kh, kw, in, dm); 3,3,32,2;288;18",
        "SeparableConv pointwise (1, 1, in*dm, f); 1,1,64,128;64;128",
        "LSTM kernel (in, 4u);            100,256;100;256",
        "LSTM recurrent (u, 4u);           64,256;64;256",
        "GRU bias reset_after (2, 3u);       2,96;2;96",
        "Embedding (vocab, dim);         10000,64;10000;64",
        "EinsumDense / MHA query (d, heads, key_dim); 512,8,64;4096;32768",
        "MHA output (heads, key_dim, d);  8,64,512;512;4096",
        "zero dim (0, 5);                     0,5;0;5",
        "zero receptive field (5, 0, 3);    5,0,3;0;15",
      })
  void matchesKerasComputeFans(String what, String dims, long fanIn, long fanOut) {
    Shape shape = dims == null ? Shape.of() : Shape.of(parse(dims));
    assertEquals(new Fans(fanIn, fanOut), Fans.of(shape), what);
  }

  private static long[] parse(String dims) {
    String[] parts = dims.trim().split(",");
    long[] out = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Long.parseLong(parts[i].trim());
    }
    return out;
  }
}

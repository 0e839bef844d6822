package dev.initkit.analysis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The user's data, read in the child JVM: {@code .npy} (inputs only), {@code .npz} ({@code
 * x_train}/{@code y_train}/{@code x_test}/{@code y_test}, or {@code x}/{@code y}, else the first
 * array by name as inputs; labels as class indices or one-hot) or CSV (numbers; a non-numeric first
 * line is a header; one column more than a flat model input makes the last column the class, see
 * {@link #withLabelColumnFor}). Labelled data without a test split has its last 20% held out.
 */
final class Data {
  final INDArray xTrain;
  final long[] yTrain;
  final INDArray xTest;
  final long[] yTest;

  /** A folder of images, read once the model's input size is known ({@link Images}); else null. */
  final Path imageDir;

  Data(INDArray xTrain, long[] yTrain, INDArray xTest, long[] yTest) {
    this(xTrain, yTrain, xTest, yTest, null);
  }

  private Data(INDArray xTrain, long[] yTrain, INDArray xTest, long[] yTest, Path imageDir) {
    this.xTrain = xTrain;
    this.yTrain = yTrain;
    this.xTest = xTest;
    this.yTest = yTest;
    this.imageDir = imageDir;
  }

  /** The first n training labels, or null without labels. */
  long[] labels(long n) {
    if (yTrain == null) {
      return null;
    }
    long[] y = new long[(int) Math.min(n, yTrain.length)];
    System.arraycopy(yTrain, 0, y, 0, y.length);
    return y;
  }

  static Data load(Path file) throws Dl4jWorker.UserError {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (Files.isDirectory(file)) {
      return new Data(null, null, null, null, file);
    }
    if (!Files.isRegularFile(file)) {
      throw new Dl4jWorker.UserError(file + ": no such file");
    }
    try {
      if (name.endsWith(".npy")) {
        return split(Nd4j.createFromNpyFile(file.toFile()).castTo(DataType.FLOAT), null);
      }
      if (name.endsWith(".npz")) {
        Map<String, INDArray> a = new TreeMap<>(Nd4j.createFromNpzFile(file.toFile()));
        if (a.isEmpty()) {
          throw new Dl4jWorker.UserError(file + ": the .npz holds no arrays");
        }
        INDArray x = first(a, "x_train", "x");
        INDArray y = first(a, "y_train", "y");
        if (x == null) {
          x = a.values().iterator().next();
        }
        INDArray xt = first(a, "x_test", "x_val");
        INDArray yt = first(a, "y_test", "y_val");
        if (xt != null && yt != null && y != null) {
          return new Data(
              x.castTo(DataType.FLOAT), classes(y), xt.castTo(DataType.FLOAT), classes(yt));
        }
        return split(x.castTo(DataType.FLOAT), y == null ? null : classes(y));
      }
      if (name.endsWith(".csv")) {
        return csv(file);
      }
    } catch (Dl4jWorker.UserError e) {
      throw e;
    } catch (Exception e) {
      throw new Dl4jWorker.UserError(file + ": cannot read the data: " + Dl4jWorker.describe(e));
    }
    throw new Dl4jWorker.UserError(file + ": unknown data format: expected .npy, .npz or .csv");
  }

  private static INDArray first(Map<String, INDArray> a, String... keys) {
    for (String k : keys) {
      if (a.containsKey(k)) {
        return a.get(k);
      }
    }
    return null;
  }

  private static long[] classes(INDArray y) {
    INDArray v = y.rank() == 2 && y.size(1) > 1 ? y.argMax(1) : y.reshape(y.length());
    long[] out = new long[(int) v.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.getLong(i);
    }
    return out;
  }

  /** Holds out the last 20% (at least one row) when there are labels. */
  static Data split(INDArray x, long[] y) {
    long n = x.size(0);
    if (y == null || n < 2) {
      return new Data(x, y, null, null);
    }
    long cut = Math.max(1, n - Math.max(1, n / 5));
    long[] ytr = new long[(int) cut];
    long[] yte = new long[(int) (n - cut)];
    System.arraycopy(y, 0, ytr, 0, ytr.length);
    System.arraycopy(y, (int) cut, yte, 0, yte.length);
    return new Data(
        x.get(NDArrayIndex.interval(0, cut)).dup(),
        ytr,
        x.get(NDArrayIndex.interval(cut, n)).dup(),
        yte);
  }

  /** Numbers separated by commas, semicolons or tabs; every row as wide as the first. */
  private static Data csv(Path file) throws IOException, Dl4jWorker.UserError {
    List<double[]> rows = new ArrayList<>();
    int cols = -1;
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.split("[,;\t]");
      double[] r = new double[parts.length];
      try {
        for (int i = 0; i < parts.length; i++) {
          r[i] = Double.parseDouble(parts[i].trim());
        }
      } catch (NumberFormatException e) {
        if (rows.isEmpty() && lineNo == 1) {
          continue; // a header
        }
        throw new Dl4jWorker.UserError(
            file + ": line " + lineNo + ": not a number: " + e.getMessage());
      }
      if (cols >= 0 && r.length != cols) {
        throw new Dl4jWorker.UserError(
            file + ": line " + lineNo + ": " + r.length + " columns, expected " + cols);
      }
      cols = r.length;
      rows.add(r);
    }
    if (rows.isEmpty()) {
      throw new Dl4jWorker.UserError(file + ": no data rows");
    }
    float[] v = new float[rows.size() * cols];
    for (int i = 0; i < rows.size(); i++) {
      for (int j = 0; j < cols; j++) {
        v[i * cols + j] = (float) rows.get(i)[j];
      }
    }
    return new Data(Nd4j.create(v, new long[] {rows.size(), cols}, 'c'), null, null, null);
  }

  /**
   * For a CSV with one column more than the model's input: the last column as the class, the rest
   * as inputs (20% held out). Other data is returned as is.
   */
  Data withLabelColumnFor(long inputWidth) {
    if (yTrain != null || xTrain.rank() != 2 || xTrain.size(1) != inputWidth + 1) {
      return this;
    }
    long n = xTrain.size(0);
    INDArray x = xTrain.get(NDArrayIndex.all(), NDArrayIndex.interval(0, inputWidth)).dup();
    INDArray yCol = xTrain.get(NDArrayIndex.all(), NDArrayIndex.point(inputWidth));
    long[] y = new long[(int) n];
    for (int i = 0; i < n; i++) {
      y[i] = Math.round(yCol.getDouble(i));
    }
    return split(x, y);
  }
}

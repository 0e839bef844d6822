package dev.initkit.analysis;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A folder of images as data, read as Keras's {@code image_dataset_from_directory} lays it out:
 * sub-folders are the classes (sorted by name: class 0, 1, ...), shuffled with a fixed seed before
 * the 20% hold-out; images directly in the folder are unlabelled, read in name order. Each image
 * (PNG, JPEG, BMP, GIF) is resized to the model's input height and width (bilinear), converted to
 * its channel count (1: luminance; 3: RGB) and scaled to [0, 1]. The model needs an image input
 * (Conv2D-style).
 */
final class Images {
  private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

  private Images() {}

  static Data load(Path dir, InputType type) throws Dl4jWorker.UserError {
    if (!(type instanceof InputType.InputTypeConvolutional c)) {
      throw new Dl4jWorker.UserError(
          dir
              + ": a folder of images needs a model with an image input (height, width, channels);"
              + " this one reads "
              + type);
    }
    int h = (int) c.getHeight();
    int w = (int) c.getWidth();
    int ch = (int) c.getChannels();
    boolean nhwc = c.getFormat() == CNN2DFormat.NHWC;
    if (h <= 0 || w <= 0 || (ch != 1 && ch != 3)) {
      throw new Dl4jWorker.UserError(
          dir + ": images need a fixed input size and 1 or 3 channels, the model reads " + type);
    }
    List<Path> files = new ArrayList<>();
    List<Long> labels = new ArrayList<>();
    try {
      List<Path> classes = list(dir).stream().filter(Files::isDirectory).toList();
      files.addAll(images(dir));
      for (int k = 0; k < classes.size(); k++) {
        for (Path f : images(classes.get(k))) {
          files.add(f);
          labels.add((long) k);
        }
      }
      if (!classes.isEmpty() && labels.size() != files.size()) {
        throw new Dl4jWorker.UserError(
            dir
                + ": images both beside and inside class folders: put every image in a class folder");
      }
      if (!labels.isEmpty()) {
        // classes come folder by folder: a fixed shuffle, so that the held-out 20% and the batch
        // mix them
        java.util.SplittableRandom r = new java.util.SplittableRandom(0x1a9e5L);
        for (int i = files.size() - 1; i > 0; i--) {
          int j = r.nextInt(i + 1);
          files.set(i, files.set(j, files.get(i)));
          labels.set(i, labels.set(j, labels.get(i)));
        }
      }
    } catch (IOException e) {
      throw new Dl4jWorker.UserError(dir + ": cannot list the folder: " + e.getMessage());
    }
    if (files.isEmpty()) {
      throw new Dl4jWorker.UserError(dir + ": no images (.png, .jpg, .jpeg, .bmp, .gif)");
    }
    int per = h * w * ch;
    float[] v = new float[files.size() * per];
    for (int n = 0; n < files.size(); n++) {
      BufferedImage img;
      try {
        img = ImageIO.read(files.get(n).toFile());
      } catch (IOException e) {
        img = null;
      }
      if (img == null) {
        throw new Dl4jWorker.UserError(files.get(n) + ": not an image Java can read");
      }
      BufferedImage scaled = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = scaled.createGraphics();
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(img, 0, 0, w, h, null);
      g.dispose();
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int rgb = scaled.getRGB(x, y);
          float r = ((rgb >> 16) & 0xff) / 255f;
          float gr = ((rgb >> 8) & 0xff) / 255f;
          float b = (rgb & 0xff) / 255f;
          float[] px =
              ch == 1
                  ? new float[] {0.299f * r + 0.587f * gr + 0.114f * b}
                  : new float[] {r, gr, b};
          for (int k = 0; k < ch; k++) {
            int at = nhwc ? ((y * w + x) * ch + k) : (k * h * w + y * w + x);
            v[n * per + at] = ch == 1 && isGray(rgb) ? ((rgb & 0xff) / 255f) : px[k];
          }
        }
      }
    }
    long[] shape = nhwc ? new long[] {files.size(), h, w, ch} : new long[] {files.size(), ch, h, w};
    var x = Nd4j.create(v, shape, 'c');
    if (labels.isEmpty()) {
      return new Data(x, null, null, null);
    }
    return Data.split(x, labels.stream().mapToLong(Long::longValue).toArray());
  }

  /** A gray pixel keeps its exact value (luminance weights would round it). */
  private static boolean isGray(int rgb) {
    int r = (rgb >> 16) & 0xff;
    int g = (rgb >> 8) & 0xff;
    return r == g && g == (rgb & 0xff);
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  private static List<Path> images(Path dir) throws IOException {
    return list(dir).stream()
        .filter(Files::isRegularFile)
        .filter(
            p ->
                EXTENSIONS.stream()
                    .anyMatch(e -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(e)))
        .toList();
  }
}

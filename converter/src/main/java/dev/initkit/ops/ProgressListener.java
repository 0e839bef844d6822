package dev.initkit.ops;

/**
 * Hears about long operations tensor by tensor, so that a front end can draw progress. The library
 * never prints; the command line draws on stderr when it runs interactively. Calls come from the
 * thread doing the work, in order; implementations should return quickly.
 */
@FunctionalInterface
public interface ProgressListener {
  /** A listener that ignores everything. */
  ProgressListener NONE = (index, total, name, elements) -> {};

  /**
   * A tensor is about to be processed.
   *
   * @param index 0-based position among the tensors the operation processes
   * @param total how many tensors it processes
   * @param name the tensor's layer path and weight name, for display
   * @param elements the tensor's element count
   */
  void tensor(int index, int total, String name, long elements);
}

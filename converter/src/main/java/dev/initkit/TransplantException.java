package dev.initkit;

import dev.initkit.transplant.TransplantPlan;
import java.util.List;

/**
 * A transplant that cannot do what was asked: nothing matched (the message suggests what to try),
 * or {@code strict} found target weights left unmatched. The plan is attached so that a front end
 * can still show it.
 */
public final class TransplantException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why. */
  public enum Kind {
    /** No target weight got a value from the source. */
    NOTHING_MATCHED,
    /** Strict mode, and some target weights were initialized or skipped for want of a match. */
    UNMATCHED
  }

  private final transient TransplantPlan plan;
  private final Kind kind;
  private final List<Hint> hints;

  /**
   * Creates the exception.
   *
   * @param kind why
   * @param message what failed and what to try, naming each of {@code hints} by its {@link
   *     Hint#apiName()}
   * @param plan the plan as far as it was made
   * @param hints the parts of the API the message points the caller to
   */
  public TransplantException(Kind kind, String message, TransplantPlan plan, Hint... hints) {
    super(message);
    this.kind = kind;
    this.plan = plan;
    this.hints = List.of(hints);
  }

  /** Why the transplant failed. */
  public Kind kind() {
    return kind;
  }

  /** The plan as far as it was made. */
  public TransplantPlan plan() {
    return plan;
  }

  /** The parts of the API the message points the caller to, by their {@link Hint#apiName()}. */
  public List<Hint> hints() {
    return hints;
  }
}

package dev.initkit.transplant;

import java.util.Locale;

/** What a transplant does to one target weight. */
public enum Action {
  /** Copied unchanged from its source weight (same shape and dtype). */
  LOADED,
  /** Computed from its source weight by an opted-in shape adaptation. */
  ADAPTED,
  /** Drawn fresh from the target's initializer (or the requested scheme). */
  INITIALIZED,
  /**
   * Neither transplanted nor drawable (no initializer, custom initializer): the target's stored
   * values stay.
   */
  SKIPPED;

  /** The name as reports spell it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}

package dev.capsa.spec;

/** A config.json, state or features document that is not valid; the message names the field. */
public final class SpecException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SpecException(String message) {
    super(message);
  }
}

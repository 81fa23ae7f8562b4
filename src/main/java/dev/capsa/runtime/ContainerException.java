package dev.capsa.runtime;

/** An operation on a container that failed; the message is for the user. */
public final class ContainerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ContainerException(String message) {
    super(message);
  }

  public ContainerException(String message, Throwable cause) {
    super(message, cause);
  }

  private int exitStatus = 1;

  /** With the exit status the command should end with (exec: 255, as runc). */
  public ContainerException(String message, int exitStatus) {
    super(message);
    this.exitStatus = exitStatus;
  }

  public int exitStatus() {
    return exitStatus;
  }
}

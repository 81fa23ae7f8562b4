package dev.capsa.json;

/**
 * Thrown by {@link Json#parse(String)} for text that is not valid JSON (RFC 8259).
 *
 * <p>The message reads {@code invalid JSON at line 3, column 7: expected ',' or '}'}. Lines and
 * columns are 1-based; a line ends at {@code '\n'} and columns count UTF-16 chars.
 */
public final class JsonException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int line;
  private final int column;
  private final String detail;

  /**
   * @param detail what is wrong, without the position (e.g. {@code expected ':'})
   * @param line 1-based line of the offending character
   * @param column 1-based column of the offending character
   */
  public JsonException(String detail, int line, int column) {
    super(new StringBuilder(48 + detail.length()).append("invalid JSON at line ").append(line)
        .append(", column ").append(column).append(": ").append(detail).toString());
    this.line = line;
    this.column = column;
    this.detail = detail;
  }

  /** 1-based line of the error. */
  public int line() {
    return line;
  }

  /** 1-based column (in UTF-16 chars) of the error. */
  public int column() {
    return column;
  }

  /** The message without the {@code invalid JSON at line L, column C: } prefix. */
  public String detail() {
    return detail;
  }
}

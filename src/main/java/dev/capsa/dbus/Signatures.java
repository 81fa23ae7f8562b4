package dev.capsa.dbus;

/** Walking D-Bus type signatures. */
final class Signatures {
  private Signatures() {}

  /** The index just past the complete type that starts at {@code start}. */
  static int end(String sig, int start) {
    if (start >= sig.length()) {
      throw new IllegalArgumentException("signature " + sig + " ends inside a type");
    }
    char c = sig.charAt(start);
    if (c == 'a') {
      return end(sig, start + 1);
    }
    if (c == '(' || c == '{') {
      char close = c == '(' ? ')' : '}';
      int i = start + 1;
      if (i < sig.length() && sig.charAt(i) == close) {
        throw new IllegalArgumentException("signature " + sig + ": an empty " + c + close);
      }
      while (i < sig.length() && sig.charAt(i) != close) {
        i = end(sig, i);
      }
      if (i >= sig.length()) {
        throw new IllegalArgumentException("signature " + sig + ": unclosed " + c);
      }
      return i + 1;
    }
    return start + 1;
  }

  /** The alignment of a type, by its first character. */
  static int alignment(char c) {
    return switch (c) {
      case 'y', 'g', 'v' -> 1;
      case 'n', 'q' -> 2;
      case 't', 'x', 'd', '(', '{' -> 8;
      default -> 4;
    };
  }
}

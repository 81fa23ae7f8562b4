package dev.capsa.dbus;

/**
 * A D-Bus variant ({@code v}): a value with its own signature, as systemd's
 * unit properties ({@code a(sv)}) carry them.
 *
 * @param signature one complete type, e.g. {@code s}, {@code t}, {@code au}
 * @param value the value, in the Java shape {@link Marshal} documents
 */
public record Variant(String signature, Object value) {}

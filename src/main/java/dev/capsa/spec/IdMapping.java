package dev.capsa.spec;

/** A LinuxIDMapping: {@code size} ids from {@code hostID} appear from {@code containerID}. */
public record IdMapping(long containerID, long hostID, long size) {}

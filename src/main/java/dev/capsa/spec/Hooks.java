package dev.capsa.spec;

import java.util.List;

/**
 * {@code hooks} (config.md "POSIX-platform Hooks"): each list is never null.
 */
public record Hooks(
    List<Hook> prestart,
    List<Hook> createRuntime,
    List<Hook> createContainer,
    List<Hook> startContainer,
    List<Hook> poststart,
    List<Hook> poststop) {

  /** No hooks at all. */
  public static final Hooks NONE =
      new Hooks(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());

  /**
   * One hook.
   *
   * @param args argv, or null (then argv is just the path)
   * @param env the hook's whole environment, or null for an empty one
   * @param timeout seconds, or null for none
   */
  public record Hook(String path, List<String> args, List<String> env, Integer timeout) {
    /** argv as execv gets it. */
    public List<String> argv() {
      return args == null || args.isEmpty() ? List.of(path) : args;
    }

    public List<String> environment() {
      return env == null ? List.of() : env;
    }
  }

  public boolean isEmpty() {
    return prestart.isEmpty() && createRuntime.isEmpty() && createContainer.isEmpty()
        && startContainer.isEmpty() && poststart.isEmpty() && poststop.isEmpty();
  }
}

package dev.capsa.cli;

import dev.capsa.json.Json;
import dev.capsa.setup.Features;
import java.io.PrintStream;
import java.util.List;

/** {@code capsa features}: features.md. */
final class FeaturesCommand implements Command {
  @Override
  public String name() {
    return "features";
  }

  @Override
  public String summary() {
    return "show the features of the runtime (features.md)";
  }

  @Override
  public String arguments() {
    return "";
  }

  @Override
  public List<Args.Option> options() {
    return List.of();
  }

  @Override
  public int run(Globals g, Args a, PrintStream out) {
    out.println(Json.writePretty(Features.document(Main.VERSION)));
    return 0;
  }
}

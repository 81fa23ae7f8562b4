package dev.capsa.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code capsa list}'s table: what Go's text/tabwriter prints for runc's list with
 * {@code tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)}: each tab-terminated cell
 * padded to the widest cell of its column plus 3, at least 12; the last cell as it is.
 */
class ListCommandTest {
  private static Map<String, Object> state(String id, int pid, String status, String bundle,
      String created, String owner) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ociVersion", "1.3.0");
    m.put("id", id);
    m.put("pid", pid);
    m.put("status", status);
    m.put("bundle", bundle);
    m.put("rootfs", bundle + "/rootfs");
    m.put("created", created);
    m.put("owner", owner);
    return m;
  }

  @Test
  void headerOnlyWhenThereAreNoContainers() {
    assertEquals(
        "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n",
        ListCommand.table(List.of()));
  }

  @Test
  void shortCellsArePaddedToTwelve() {
    assertEquals(""
        + "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n"
        + "a           1           created     /b          now         root\n",
        ListCommand.table(List.of(state("a", 1, "created", "/b", "now", "root"))));
  }

  @Test
  void wideColumnsTakeTheirWidestCellPlusThree() {
    String table = ListCommand.table(List.of(
        state("web", 4242, "running", "/var/lib/bundles/web", "2024-01-02T03:04:05.123456789Z",
            "root"),
        state("a-much-longer-id", 0, "stopped", "/b", "2024-01-02T03:04:05Z", "1000")));
    assertEquals(""
        + "ID                 PID         STATUS      BUNDLE                 CREATED"
        + "                          OWNER\n"
        + "web                4242        running     /var/lib/bundles/web   "
        + "2024-01-02T03:04:05.123456789Z   root\n"
        + "a-much-longer-id   0           stopped     /b                     "
        + "2024-01-02T03:04:05Z             1000\n", table);
  }

  @Test
  void cellOfExactlyNineCharactersStillFitsTwelve() {
    String nine = "123456789";
    String ten = "1234567890";
    assertEquals(""
        + "ID           PID         STATUS      BUNDLE      CREATED     OWNER\n"
        + "123456789    1           created     /b          now         root\n"
        + "1234567890   2           created     /b          now         root\n",
        ListCommand.table(List.of(state(nine, 1, "created", "/b", "now", "root"),
            state(ten, 2, "created", "/b", "now", "root"))));
  }

  @Test
  void emptyOwnerEndsTheLine() {
    assertEquals(""
        + "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n"
        + "a           1           created     /b          now         \n",
        ListCommand.table(List.of(state("a", 1, "created", "/b", "now", ""))));
  }
}

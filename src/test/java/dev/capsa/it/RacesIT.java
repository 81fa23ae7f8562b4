package dev.capsa.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Races that a single run of the other tests hits only now and then: each test here repeats
 * an operation until the race shows.
 */
class RacesIT {
  @RegisterExtension final Harness h = new Harness();

  /**
   * create must learn the container's pid before anything else the container process
   * reports. The native stage's parent sends the pid (MSG_PID) after fork(), while the child
   * already runs its ops and talks on the same socket.
   */
  @Test
  void everyCreateKnowsItsContainerProcess() {
    h.args("true");
    for (int i = 0; i < 200; i++) {
      String id = h.newId();
      Harness.Result r = h.capsa("create", "--bundle", h.bundle().toString(), id);
      assertEquals(0, r.status(), "create number " + (i + 1) + ": " + r);
      h.capsa("delete", "--force", id).ok();
      assertEquals(List.of(), h.leftovers(), "after create number " + (i + 1));
    }
  }

  /**
   * runc: {@code delete --force} of a container that is not there (any more) succeeds. Two
   * deletes of one container at once (two callers, or {@code run}'s own cleanup racing a
   * {@code delete --force}, as in LifecycleIT.deleteForceWhileRunWaits) must both succeed.
   */
  @Test
  void concurrentForcedDeletesBothSucceed() throws Exception {
    h.args("sleep", "100");
    for (int i = 0; i < 20; i++) {
      String id = h.newId();
      h.create(id);
      Harness.Invocation a = h.start("delete", "--force", id);
      Harness.Invocation b = h.start("delete", "--force", id);
      Harness.Result ra = a.await();
      Harness.Result rb = b.await();
      assertEquals(0, ra.status(), "round " + (i + 1) + ": " + ra);
      assertEquals(0, rb.status(), "round " + (i + 1) + ": " + rb);
      assertEquals(List.of(), h.listIds());
    }
  }
}

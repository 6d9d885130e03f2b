package dev.rnnc.flink;

import dev.rnnc.runtime.stream.StreamBank;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which sensors of a subtask have their state decoded in the subtask's {@link StreamBank}, least recently used
 * first out. Keyed state stays the truth (it is written after every step), so closing a stream loses nothing.
 */
final class ResidentSensors {
  private final StreamBank bank;
  private final LinkedHashMap<String, Integer> ids = new LinkedHashMap<>(16, 0.75f, true);

  ResidentSensors(StreamBank bank) {
    this.bank = bank;
  }

  /** The bank stream of {@code sensor}, or -1 when it is not resident. */
  int find(String sensor) {
    Integer id = ids.get(sensor);
    return id == null ? -1 : id;
  }

  /** Whether admitting another sensor would close a resident one. */
  boolean full() {
    return bank.openCount() == bank.capacity();
  }

  /**
   * Opens a stream (zeros) for {@code sensor}; when the bank is full, first closes the least recently used stream
   * that is not busy.
   *
   * @param busy streams that must stay open (a reading of theirs is waiting to be stepped), or {@code null}
   */
  int admit(String sensor, boolean[] busy) {
    if (full()) {
      Iterator<Map.Entry<String, Integer>> eldest = ids.entrySet().iterator();
      while (true) {
        int id = eldest.next().getValue(); // runs out only if every stream is busy, which callers rule out
        if (busy == null || !busy[id]) {
          bank.close(id);
          eldest.remove();
          break;
        }
      }
    }
    int id = bank.open();
    ids.put(sensor, id);
    return id;
  }
}

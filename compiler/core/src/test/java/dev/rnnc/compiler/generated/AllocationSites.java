package dev.rnnc.compiler.generated;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a call allocates, for the failure messages of the allocation tests: JFR's allocation samples taken while
 * the call runs, grouped by their top frames, each frame with its type ("Interpreted", "JIT compiled",
 * "Inlined"), and the tier of every installed compilation of the model's vector kernels. When generated code
 * allocates only in some runs, the message is all that is left of the JIT state that made it allocate.
 */
public final class AllocationSites {
  /** Frames of our own (not java.*, jdk.*) to show below the JDK's: the generated method and its callers. */
  private static final int OWN_FRAMES = 3;
  private static final int STACKS = 3;

  private AllocationSites() {}

  /** How many frames from the top reach {@link #OWN_FRAMES} frames outside the JDK. */
  private static int shown(List<RecordedFrame> frames) {
    int own = 0;
    for (int i = 0; i < frames.size(); i++) {
      String type = frames.get(i).getMethod().getType().getName();
      if (!type.startsWith("java.") && !type.startsWith("jdk.") && ++own == OWN_FRAMES) {
        return i + 1;
      }
    }
    return frames.size();
  }

  /**
   * The most frequent allocating stacks of {@code calls} runs of {@code call} on this thread, then the JIT's state
   * of the vector kernels of {@code generatedClass} (compile id, tier 1–4 and method of each installed compilation,
   * from {@code jcmd Compiler.codelist}) and the length of the compile queues.
   */
  public static String of(Runnable call, int calls, String generatedClass) {
    return stacks(call, calls) + "\n" + jitState(generatedClass);
  }

  private static String jitState(String generatedClass) {
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName diagnostics = new ObjectName("com.sun.management:type=DiagnosticCommand");
      Object[] noArguments = {null};
      String[] signature = {String[].class.getName()};
      String codes = (String) server.invoke(diagnostics, "compilerCodelist", noArguments, signature);
      String queue = (String) server.invoke(diagnostics, "compilerQueue", noArguments, signature);
      String kernels = codes.lines().filter(l -> l.contains(generatedClass + "$") && l.contains("$Vec."))
          .map(l -> "    " + l.replaceAll(" \\[0x.*", "")).collect(Collectors.joining("\n"));
      long queued = queue.lines().filter(l -> l.matches("\\s*\\d+ .*")).count();
      return "  installed compilations of the vector kernels (id, tier, state, method):\n" + kernels
          + "\n  compile tasks queued: " + queued;
    } catch (JMException | RuntimeException e) {
      return "  (JIT state unavailable: " + e + ")";
    }
  }

  private static String stacks(Runnable call, int calls) {
    Path file = null;
    try (Recording recording = new Recording()) {
      recording.enable("jdk.ObjectAllocationSample").withStackTrace().with("throttle", "10000/s");
      recording.start();
      for (int i = 0; i < calls; i++) {
        call.run();
      }
      recording.stop();
      file = Files.createTempFile("rnnc-allocation", ".jfr");
      recording.dump(file);
      @SuppressWarnings("deprecation") // threadId() is Java 19+, and the tests compile for 17
      long thread = Thread.currentThread().getId();
      Map<String, Integer> stacks = new LinkedHashMap<>();
      for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
        if (event.getThread() == null || event.getThread().getJavaThreadId() != thread || event.getStackTrace() == null) {
          continue;
        }
        List<RecordedFrame> frames = event.getStackTrace().getFrames();
        String stack = event.getClass("objectClass").getName() + " at\n      " + frames.subList(0, shown(frames))
            .stream()
            .map(f -> f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber()
                + " (" + f.getType() + ")")
            .collect(Collectors.joining("\n      "));
        stacks.merge(stack, 1, Integer::sum);
      }
      if (stacks.isEmpty()) {
        return "  (no allocation sample on this thread in " + calls + " further calls)";
      }
      return stacks.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(STACKS)
          .map(e -> "  " + e.getValue() + " samples: " + e.getKey()).collect(Collectors.joining("\n"));
    } catch (IOException | RuntimeException e) {
      return "  (allocation sites unavailable: " + e + ")";
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // a temporary file left behind is harmless
        }
      }
    }
  }
}

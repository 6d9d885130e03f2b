package dev.rnnc.runtime.train;

import dev.rnnc.runtime.NamedParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The bookkeeping every optimiser shares: binding per-parameter state buffers ("slots") to parameter names,
 * the step counter, and state export/import. Subclasses only write the per-parameter update.
 *
 * <p>Like torch, state exists only once a step has run: before that {@link #state()} holds the step counter
 * alone. Buffers are allocated when parameters are first seen, so steps allocate nothing.
 */
abstract class AbstractOptimizer implements Optimizer {
  private final String[] slots;
  private NamedParameters bound;
  private String[] names;
  private int[][] shapes;
  /** {@code buffers[slot][parameter]}, aligned with {@link #names}. */
  private float[][][] buffers;
  /** Whether the buffers hold state (after a step or a restore), as opposed to never-written zeros. */
  private boolean initialised;
  /** Restored slot values waiting for the parameters to be seen: {@code [slot] name -> values}. */
  private List<Map<String, Tensor>> pending;
  private long steps;

  AbstractOptimizer(String... slots) {
    this.slots = slots.clone();
  }

  /**
   * Updates one parameter in place.
   *
   * @param index   parameter index, for {@link #buffer}
   * @param param   live parameter values
   * @param grad    its gradient (read only)
   * @param step    1-based number of this step
   * @param initial whether this is the first step with this state (torch's "buffer is None")
   */
  abstract void update(int index, float[] param, float[] grad, long step, boolean initial);

  /** The state buffer of one slot for one parameter. */
  final float[] buffer(int slot, int index) {
    return buffers[slot][index];
  }

  @Override
  public final void step(NamedParameters params, NamedParameters grads) {
    attach(params);
    long step = steps + 1;
    boolean initial = !initialised;
    for (int i = 0; i < names.length; i++) {
      float[] param = params.get(names[i]);
      float[] grad = grads.get(names[i]);
      if (grad.length != param.length) {
        throw new IllegalArgumentException("gradient of " + names[i] + " has " + grad.length + " values, the parameter "
            + param.length);
      }
      update(i, param, grad, step, initial);
    }
    steps = step;
    initialised = true;
  }

  @Override
  public final long steps() {
    return steps;
  }

  @Override
  public final void attach(NamedParameters params) {
    if (params == bound) {
      return;
    }
    List<String> seen = params.names();
    if (names == null) {
      String[] newNames = seen.toArray(new String[0]);
      int[][] newShapes = new int[newNames.length][];
      for (int i = 0; i < newNames.length; i++) {
        newShapes[i] = params.shape(newNames[i]);
      }
      float[][][] newBuffers = new float[slots.length][newNames.length][];
      for (int s = 0; s < slots.length; s++) {
        for (int i = 0; i < newNames.length; i++) {
          newBuffers[s][i] = new float[params.get(newNames[i]).length];
        }
      }
      if (pending != null) {
        fill(newBuffers, newNames, newShapes, pending);
      }
      names = newNames;
      shapes = newShapes;
      buffers = newBuffers;
      pending = null;
    } else {
      boolean same = seen.size() == names.length;
      for (int i = 0; same && i < names.length; i++) {
        same = seen.get(i).equals(names[i]) && Arrays.equals(params.shape(names[i]), shapes[i]);
      }
      if (!same) {
        throw new RnncException("the " + kind() + " optimiser holds state for parameters " + describe(names, shapes)
            + ", not for " + seen);
      }
    }
    bound = params;
  }

  /** Copies restored slot tensors into freshly allocated buffers, checking they cover exactly these parameters. */
  private void fill(float[][][] target, String[] paramNames, int[][] paramShapes, List<Map<String, Tensor>> restored) {
    for (int s = 0; s < slots.length; s++) {
      Map<String, Tensor> slot = restored.get(s);
      List<String> missing = new ArrayList<>();
      for (String name : paramNames) {
        if (!slot.containsKey(name)) {
          missing.add(STATE_PREFIX + slots[s] + "." + name);
        }
      }
      TreeSet<String> extra = new TreeSet<>(slot.keySet());
      extra.removeAll(Arrays.asList(paramNames));
      if (!missing.isEmpty() || !extra.isEmpty()) {
        throw new RnncException("optimizer state does not match the model's parameters:"
            + (missing.isEmpty() ? "" : " missing " + missing)
            + (extra.isEmpty() ? "" : " unexpected state for " + extra));
      }
      for (int i = 0; i < paramNames.length; i++) {
        Tensor tensor = slot.get(paramNames[i]);
        if (!Arrays.equals(tensor.shape(), paramShapes[i])) {
          throw new RnncException("optimizer state " + STATE_PREFIX + slots[s] + "." + paramNames[i] + " has shape "
              + Arrays.toString(tensor.shape()) + ", the parameter " + Arrays.toString(paramShapes[i]));
        }
        float[] values = tensor.toFloatArray();
        System.arraycopy(values, 0, target[s][i], 0, values.length);
      }
    }
  }

  @Override
  public final Map<String, Tensor> state() {
    Map<String, Tensor> state = new LinkedHashMap<>();
    state.put(STEP_STATE, Tensor.ofLongs(new int[0], new long[] {steps}));
    if (initialised && names != null) {
      for (int s = 0; s < slots.length; s++) {
        for (int i = 0; i < names.length; i++) {
          state.put(STATE_PREFIX + slots[s] + "." + names[i], Tensor.ofFloats(shapes[i], buffers[s][i].clone()));
        }
      }
    } else if (initialised && pending != null) {
      // Restored but not yet bound: hand back what was restored.
      for (int s = 0; s < slots.length; s++) {
        for (Map.Entry<String, Tensor> entry : pending.get(s).entrySet()) {
          state.put(STATE_PREFIX + slots[s] + "." + entry.getKey(), entry.getValue());
        }
      }
    }
    return state;
  }

  @Override
  public final void loadState(Map<String, Tensor> state) {
    Tensor stepTensor = state.get(STEP_STATE);
    if (stepTensor == null) {
      throw new RnncException("no " + STEP_STATE + " in the optimizer state");
    }
    long restoredSteps = readStep(stepTensor);
    List<Map<String, Tensor>> restored = new ArrayList<>();
    for (int s = 0; s < slots.length; s++) {
      restored.add(new LinkedHashMap<>());
    }
    for (Map.Entry<String, Tensor> entry : state.entrySet()) {
      String key = entry.getKey();
      if (!key.startsWith(STATE_PREFIX) || key.equals(STEP_STATE)) {
        continue;
      }
      int slot = slotOf(key);
      if (slot < 0) {
        throw new RnncException("optimizer state '" + key + "' is not used by " + kind() + " with these settings"
            + " (slots " + Arrays.toString(slots) + "); was it saved by another optimiser?");
      }
      restored.get(slot).put(key.substring(STATE_PREFIX.length() + slots[slot].length() + 1), entry.getValue());
    }
    boolean anyState = false;
    for (Map<String, Tensor> slot : restored) {
      anyState |= !slot.isEmpty();
    }
    if (slots.length > 0 && restoredSteps > 0 && !anyState) {
      throw new RnncException("optimizer state has step " + restoredSteps + " but no " + Arrays.toString(slots)
          + " buffers");
    }
    if (names != null) {
      float[][][] copy = new float[slots.length][names.length][];
      for (int s = 0; s < slots.length; s++) {
        for (int i = 0; i < names.length; i++) {
          copy[s][i] = new float[buffers[s][i].length];
        }
      }
      if (anyState) {
        fill(copy, names, shapes, restored);
      }
      buffers = copy;
      pending = null;
    } else {
      pending = anyState ? restored : null;
    }
    steps = restoredSteps;
    initialised = anyState || (slots.length == 0 && restoredSteps > 0);
  }

  private int slotOf(String key) {
    for (int s = 0; s < slots.length; s++) {
      if (key.startsWith(STATE_PREFIX + slots[s] + ".")) {
        return s;
      }
    }
    return -1;
  }

  private static long readStep(Tensor tensor) {
    if (tensor.elementCount() != 1) {
      throw new RnncException(STEP_STATE + " must be a scalar, it has shape " + Arrays.toString(tensor.shape()));
    }
    double value;
    if (tensor.dtype().isFloatingPoint()) {
      value = tensor.toFloatArray()[0]; // torch keeps its step as a float32 tensor
    } else {
      value = tensor.toLongArray()[0];
    }
    if (!(value >= 0) || value != Math.rint(value)) {
      throw new RnncException(STEP_STATE + " must be a non-negative whole number, got " + value);
    }
    return (long) value;
  }

  private static String describe(String[] names, int[][] shapes) {
    StringBuilder out = new StringBuilder("{");
    for (int i = 0; i < names.length; i++) {
      out.append(i > 0 ? ", " : "").append(names[i]).append(Arrays.toString(shapes[i]));
    }
    return out.append('}').toString();
  }

  /** Torch's range checks, as user errors. */
  static double requireAtLeastZero(String what, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new RnncException("invalid " + what + ": " + value + " (must be a finite number >= 0)");
    }
    return value;
  }

  static double requireUnitInterval(String what, double value) {
    if (!(value >= 0 && value < 1)) {
      throw new RnncException("invalid " + what + ": " + value + " (must be in [0, 1))");
    }
    return value;
  }
}

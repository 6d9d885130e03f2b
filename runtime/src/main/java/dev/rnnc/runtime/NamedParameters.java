package dev.rnnc.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named float arrays with their shapes, in {@code state_dict} order: what a single-stack model's
 * {@link ModelParameters} and an encoder–decoder's {@link Seq2SeqParameters} share. Lookups fail with the list of
 * names the model has.
 */
public abstract class NamedParameters {
  /** Shape of each parameter, in {@code state_dict} order. */
  protected final Map<String, int[]> shapes;
  /** The live values, row-major, keyed as {@link #shapes}. */
  protected final Map<String, float[]> values;

  protected NamedParameters(Map<String, int[]> shapes, Map<String, float[]> values) {
    this.shapes = shapes;
    this.values = values;
  }

  /** Parameter names in {@code state_dict} order. */
  public List<String> names() {
    return Collections.unmodifiableList(new ArrayList<>(values.keySet()));
  }

  /** The live array of one parameter. */
  public float[] get(String name) {
    float[] array = values.get(name);
    if (array == null) {
      throw new IllegalArgumentException("no parameter named '" + name + "'; the model has " + values.keySet());
    }
    return array;
  }

  /** The shape of one parameter (a copy). */
  public int[] shape(String name) {
    get(name);
    return shapes.get(name).clone();
  }

  /** A deep copy of the values, for a subclass's {@code copy()}. */
  protected Map<String, float[]> copiedValues() {
    Map<String, float[]> copied = new LinkedHashMap<>();
    values.forEach((name, array) -> copied.put(name, array.clone()));
    return copied;
  }

  /** Elements of one shape; a shape too large for one Java array is an error naming it. */
  protected static int elements(int[] shape) {
    long count = 1;
    for (int dim : shape) {
      count *= dim;
    }
    if (count > Integer.MAX_VALUE) {
      throw new RnncException("parameter of shape " + java.util.Arrays.toString(shape)
          + " has more elements than a Java array holds");
    }
    return (int) count;
  }
}

package dev.rnnc.runtime.io;

import dev.rnnc.runtime.RnncException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content of one safetensors file.
 *
 * @param tensors  tensors by name, in file order (by data offset), unmodifiable
 * @param metadata the {@code __metadata__} strings (empty when absent), unmodifiable
 */
public record SafeTensorsFile(Map<String, Tensor> tensors, Map<String, String> metadata) {
  public SafeTensorsFile {
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /** The tensor called {@code name}; a user error naming what the file does hold when there is none. */
  public Tensor tensor(String name) {
    Tensor tensor = tensors.get(name);
    if (tensor == null) {
      throw new RnncException("no tensor named '" + name + "'; the file holds " + tensors.keySet());
    }
    return tensor;
  }
}

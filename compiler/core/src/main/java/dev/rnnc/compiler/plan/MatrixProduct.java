package dev.rnnc.compiler.plan;

import java.util.List;

/**
 * One matrix product the generated class runs, {@code y = init + W·x}, W one packed array of the generated
 * {@code Weights} class, by the plan's one inventory ({@link ModelPlan#products()}).
 *
 * <p>Products the streaming step, the cell steps of one, two or four sequences, the head and the backward pass
 * run through matrix–vector kernels specialised to their shape ({@link KernelShape}: sizes, strides and trip
 * counts are constants in the generated code); the call sites ask {@link #kernel} for the kernel's name. Products
 * over many rows at once (the input projections of every running sequence, a batch's recurrence, a stream bank's
 * step) run through the blocked {@code rowsProduct} ({@link Blocking#productTile}), which takes its sizes as
 * arguments; they are listed here too, with {@code blocked} set.
 *
 * @param weights the packed weight array (a field of the generated {@code Weights} class); it names the product
 * @param what    what the product computes, for documentation
 * @param rows    rows of W (outputs)
 * @param cols    columns of W (inputs)
 * @param sweeps  how many inputs one sweep over W serves at the matrix–vector call sites (1, 2, 4), ascending;
 *                empty when only {@code rowsProduct} runs it
 * @param blocked whether {@code rowsProduct} also (or only) runs it, over many rows
 */
public record MatrixProduct(String weights, String what, int rows, int cols, List<Integer> sweeps,
    boolean blocked) {
  public MatrixProduct {
    sweeps = List.copyOf(sweeps);
    for (int sweep : sweeps) {
      if (sweep != 1 && sweep != 2 && sweep != 4) {
        throw new IllegalArgumentException("a sweep serves 1, 2 or 4 inputs, got " + sweep);
      }
    }
  }

  /** Its shape, which names its kernels (products of one shape share them). */
  public KernelShape shape() {
    return new KernelShape(rows, cols);
  }

  /**
   * The generated kernel running this product for {@code sweep} inputs per sweep over W, e.g.
   * {@code pair512x128}; an emitter asking for a sweep the plan did not list is a compiler bug.
   */
  public String kernel(int sweep) {
    if (!sweeps.contains(sweep)) {
      throw new IllegalStateException("the plan runs " + weights + " with sweeps " + sweeps + ", not " + sweep);
    }
    return shape().kernel(sweep);
  }
}

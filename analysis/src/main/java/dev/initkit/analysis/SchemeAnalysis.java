package dev.initkit.analysis;

import java.util.List;

/**
 * One scheme's forward/backward pass over the batch.
 *
 * @param scheme the scheme's label ({@code file} for the weights as stored)
 * @param inputStd standard deviation of the batch fed in
 * @param loss the loss the gradients are of ({@code mcxent}, {@code xent}, {@code mse})
 * @param lossValue its value on the batch
 * @param layers per layer, input to output
 * @param gradientError why DL4J computed no gradients (its backward pass fails on some imported
 *     convolution layouts), or null; the forward statistics stand
 */
public record SchemeAnalysis(String scheme, double inputStd, String loss, double lossValue, List<LayerStats> layers,
    String gradientError) {}

/**
 * Hands a model initkit holds to DeepLearning4J in the same JVM: {@link
 * dev.initkit.dl4j.Dl4jModels#toComputationGraph} and {@link
 * dev.initkit.dl4j.Dl4jModels#toMultiLayerNetwork}. The rest of this package is not API.
 *
 * <p>DL4J (ND4J and its native libraries) comes with this module only; the converter does not
 * depend on it. For files that could crash or hang DL4J, see the child-JVM route in {@code
 * initkit-interop-dl4j} ({@code Dl4jRunner}).
 */
package dev.initkit.dl4j;

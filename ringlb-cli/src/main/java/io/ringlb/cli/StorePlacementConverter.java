package io.ringlb.cli;

import io.ringlb.placement.Placements;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Checks a {@code --placement SPEC} option of a command that holds data ({@code run}, {@code
 * serve}) and returns the spec's canonical form; the command then builds a fresh placement with
 * {@link Placements#forStore(String, java.util.function.IntFunction)}.
 *
 * <p>Unknown specs get the list of valid ones; {@code jump} and {@code bounded} get the reason they
 * cannot hold a store. picocli prints the message as {@code Invalid value for option '--placement':
 * ...}.
 */
public final class StorePlacementConverter implements ITypeConverter<String> {

  @Override
  public String convert(String spec) {
    try {
      return Placements.forStore(spec).name();
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}

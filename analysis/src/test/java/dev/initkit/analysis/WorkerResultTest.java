package dev.initkit.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.initkit.Hint;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the child JVM answers crosses the process boundary whole: an error's hints as data. */
class WorkerResultTest {
  @Test
  void anErrorsHintsSurviveTheTripThroughJson() throws Exception {
    WorkerResult sent =
        new WorkerResult(
            null,
            null,
            null,
            "unknown size: give " + Hint.DATA.apiName(),
            WorkerResult.DATA,
            List.of(),
            List.of(Hint.DATA));
    WorkerResult got =
        WorkerJson.MAPPER.readValue(WorkerJson.MAPPER.writeValueAsString(sent), WorkerResult.class);
    assertEquals(sent, got);
    assertEquals(List.of(Hint.DATA), got.errorHints());
  }

  @Test
  void aResultWithoutHintsReadsAsNone() throws Exception {
    WorkerResult got =
        WorkerJson.MAPPER.readValue(
            "{\"error\": \"DL4J failed\", \"errorKind\": \"failed\"}", WorkerResult.class);
    assertEquals(List.of(), got.errorHints());
  }
}

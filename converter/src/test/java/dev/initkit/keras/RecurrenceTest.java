package dev.initkit.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class RecurrenceTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  @Test
  void kindsAndGates() {
    assertEquals(Recurrence.LSTM, Recurrence.of("LSTM"));
    assertEquals(Recurrence.LSTM, Recurrence.of("CuDNNLSTM"));
    assertEquals(Recurrence.LSTM, Recurrence.of("LSTMV2"));
    assertEquals(Recurrence.LSTM, Recurrence.of("ConvLSTM2D"));
    assertEquals(Recurrence.LSTM, Recurrence.of("ConvLSTM3DCell"));
    assertEquals(Recurrence.GRU, Recurrence.of("CuDNNGRU"));
    assertEquals(Recurrence.GRU, Recurrence.of("GRUCell"));
    assertEquals(Recurrence.SIMPLE, Recurrence.of("SimpleRNN"));
    assertEquals(4, Recurrence.LSTM.gates());
    assertEquals(3, Recurrence.GRU.gates());
    assertEquals(1, Recurrence.SIMPLE.gates());
    assertNull(Recurrence.of("RNN"));
    assertNull(Recurrence.of("StackedRNNCells"));
    assertNull(Recurrence.of("Dense"));
    assertNull(Recurrence.of(null));
  }

  @Test
  void everyKindIsRecurrent() {
    for (Recurrence r : Recurrence.values()) {
      for (String c : r.classes()) {
        LayerFamily f = LayerFamily.of(c);
        assertTrue(f == LayerFamily.RECURRENT || f == LayerFamily.RECURRENT_CELL, c + " is " + f);
      }
    }
  }

  @Test
  void unitForgetBias() throws Exception {
    assertTrue(Recurrence.unitForgetBias("LSTM", json("{}")), "Keras's default");
    assertTrue(Recurrence.unitForgetBias("LSTM", json("{\"unit_forget_bias\": true}")));
    assertFalse(Recurrence.unitForgetBias("LSTM", json("{\"unit_forget_bias\": false}")));
    assertTrue(Recurrence.unitForgetBias("CuDNNLSTM", json("{}")));
    assertTrue(
        Recurrence.unitForgetBias("LSTM", json("{\"forget_bias_init\": \"one\"}")), "Keras 1");
    assertTrue(Recurrence.unitForgetBias("LSTM", json("{\"forget_bias_init\": \"Ones\"}")));
    assertFalse(Recurrence.unitForgetBias("LSTM", json("{\"forget_bias_init\": \"zero\"}")));
    assertFalse(Recurrence.unitForgetBias("GRU", json("{\"unit_forget_bias\": true}")));
    assertFalse(Recurrence.unitForgetBias("Dense", json("{}")));
  }
}

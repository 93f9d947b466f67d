package io.ringlb.server;

/** The frame-splitting contract over the embedded data side. */
class EmbeddedSplitFramesTest extends SplitFramesContract {

  @Override
  protected DataSide newDataSide() {
    return Fixtures.embedded();
  }
}

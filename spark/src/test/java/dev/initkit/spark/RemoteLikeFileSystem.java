package dev.initkit.spark;

import java.net.URI;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local disk under the scheme {@code remotefs:}, so the job treats it as a remote file system
 * (HDFS, S3) and takes its copy-to-a-temporary-file path.
 */
public final class RemoteLikeFileSystem extends RawLocalFileSystem {
  @Override
  public URI getUri() {
    return URI.create("remotefs:///");
  }

  @Override
  public String getScheme() {
    return "remotefs";
  }

  @Override
  public Path getWorkingDirectory() {
    return new Path("remotefs:///");
  }
}

// Starts DynamoDB Local listening on one address only (the first argument, e.g. 127.0.0.1).
// DynamoDB Local has no option for its bind address: its Jetty server is built with a port alone,
// which listens on every interface. This launcher builds the server from the usual command line
// (the remaining arguments), sets the host of its connectors before anything binds, then starts it.
// Reflection only, so it compiles against java.base alone; any change in DynamoDB Local's
// internals fails the start loudly rather than listening on every interface.
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Arrays;

public class DynamoDbLocalOnLoopback {
  public static void main(String[] argv) throws Exception {
    String host = argv[0];
    String[] args = Arrays.copyOfRange(argv, 1, argv.length);
    Class<?> runner = Class.forName("software.amazon.dynamodb.services.local.main.ServerRunner");
    Object proxy = runner.getMethod("createServerFromCommandLineArgs", String[].class).invoke(null, (Object) args);
    Field serverField = proxy.getClass().getDeclaredField("server");
    serverField.setAccessible(true);
    Object server = serverField.get(proxy);
    Object[] connectors = (Object[]) server.getClass().getMethod("getConnectors").invoke(server);
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind");
    for (Object connector : connectors) {
      Method setHost = connector.getClass().getMethod("setHost", String.class);
      setHost.invoke(connector, host);
    }
    proxy.getClass().getMethod("start").invoke(proxy);
    // Axon runs this in a process group of its own (a Ctrl-C meant for Axon must leave it running
    // while Axon drains), so it ends when its stdin, a pipe from Axon, closes: when Axon exits,
    // whichever way.
    Thread untilStdinCloses = new Thread(() -> {
      try {
        while (System.in.read() != -1) {}
      } catch (java.io.IOException e) {
        // closed as well
      }
      System.exit(0);
    });
    untilStdinCloses.setDaemon(true);
    untilStdinCloses.start();
  }
}

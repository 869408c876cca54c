package dev.kafkaqueue.it;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Marks a test class that starts containers of its own (a secured broker, a three-broker cluster), so it cannot run on
 * the {@link EmbeddedBroker}.
 *
 * <p>Where no Docker engine answers, such a class is disabled with a reason that says so, and the rest of the suite
 * runs on the embedded broker. In CI (the {@code CI} environment variable is set) it is never disabled: without
 * Docker it fails, because a skipped test is not a passing one.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(NeedsDocker.Condition.class)
@interface NeedsDocker {

    /** Enabled when a Docker engine answers, or when running in CI. */
    final class Condition implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            String ci = System.getenv("CI");
            if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
                return ConditionEvaluationResult.enabled("CI=" + ci + ": never skipped");
            }
            return DockerClientFactory.instance().isDockerAvailable()
                    ? ConditionEvaluationResult.enabled("a Docker engine answered")
                    : ConditionEvaluationResult.disabled("needs a Docker engine for its own containers, and none "
                            + "answered (outside CI; in CI this test runs and fails instead)");
        }
    }
}

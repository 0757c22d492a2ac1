<?php
// pifleet demo: which node and which container answered this request.
// Reload and watch the answers move across the Swarm.
$node = getenv('PIFLEET_NODE') ?: 'unknown node';
$container = gethostname();
$arch = php_uname('m');
header('Content-Type: text/html; charset=utf-8');
header('X-Pifleet-Node: ' . $node);
header('X-Pifleet-Container: ' . $container);
?><!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>pifleet: <?= htmlspecialchars($node) ?></title>
  <link rel="stylesheet" href="/style.css">
</head>
<body>
  <h1>Answered by <span id="node"><?= htmlspecialchars($node) ?></span></h1>
  <p>PHP-FPM container <code id="container"><?= htmlspecialchars($container) ?></code>
     (<?= htmlspecialchars($arch) ?>, PHP <?= PHP_VERSION ?>)</p>
  <p>Served over <?= htmlspecialchars($_SERVER['SERVER_PROTOCOL'] ?? '?') ?>
     to <?= htmlspecialchars($_SERVER['REMOTE_ADDR'] ?? '?') ?>
     at <?= gmdate('Y-m-d H:i:s') ?> UTC.</p>
  <p>Reload: Caddy spreads requests over every PHP-FPM task of the Swarm.</p>
</body>
</html>

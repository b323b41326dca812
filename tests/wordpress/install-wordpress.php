<?php
// Installs WordPress non-interactively for tests/wordpress/start-wordpress:
//   php install-wordpress.php -- ROOT URL
// creates the site, an administrator "admin" with an application password, an author "writer"
// (whose posts are "someone else's"), and pretty permalinks (/%postname%/). Prints
// URL=, USER=, APP_PASSWORD=, ADMIN_ID=, WRITER_ID= lines.
$args = array_values(array_filter(array_slice($argv, 1), function ($a) { return $a !== '--'; }));
[$root, $url] = $args;
define('WP_INSTALLING', true);
define('ABSPATH', rtrim($root, '/') . '/');
$_SERVER['HTTP_HOST'] = parse_url($url, PHP_URL_HOST) . ':' . parse_url($url, PHP_URL_PORT);
$_SERVER['SERVER_NAME'] = parse_url($url, PHP_URL_HOST);
$_SERVER['SERVER_PORT'] = parse_url($url, PHP_URL_PORT);
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';

// No mail goes out (there is no MTA): the install's notification is replaced.
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}

require ABSPATH . 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

// The installer tries pretty permalinks by requesting the site, which is not serving yet.
add_filter('pre_http_request', function () { return new WP_Error('offline', 'not serving yet'); });

$installed = wp_install('sota test site', 'admin', 'admin@example.com', false, '',
                        wp_generate_password(24, false));
if (is_wp_error($installed) || empty($installed['user_id'])) {
    fwrite(STDERR, "wp_install failed\n");
    exit(1);
}
$admin = (int) $installed['user_id'];

global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->flush_rules(false);

// The new site's sample post ("Hello world!") goes: the tests count the posts on the site.
foreach (get_posts(['post_type' => 'post', 'post_status' => 'any', 'numberposts' => -1]) as $sample) {
    wp_delete_post($sample->ID, true);
}

$writer = wp_insert_user([
    'user_login' => 'writer',
    'user_pass' => wp_generate_password(24, false),
    'user_email' => 'writer@example.com',
    'role' => 'author',
    'display_name' => 'Writer',
]);
if (is_wp_error($writer)) {
    fwrite(STDERR, 'cannot create the writer: ' . $writer->get_error_message() . "\n");
    exit(1);
}

$created = WP_Application_Passwords::create_new_application_password($admin, ['name' => 'sota']);
if (is_wp_error($created)) {
    fwrite(STDERR, 'cannot create an application password: ' . $created->get_error_message() . "\n");
    exit(1);
}
echo "URL=$url\nUSER=admin\nAPP_PASSWORD={$created[0]}\nADMIN_ID=$admin\nWRITER_ID=$writer\n";

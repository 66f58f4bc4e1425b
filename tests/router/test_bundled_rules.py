"""The bundled rules (config/default.yaml) through the router: what they page, and the near misses they must not."""

from __future__ import annotations

import pytest

from frontdesk.settings import load_settings
from tests.router.judging import default_router, message


@pytest.mark.parametrize("text", ["The smoking area was packed", "The new menu is fire, love it",
                                  "Is there a smoking area at the venue?"])
def test_fire_and_smoking_words_that_are_no_hazard_page_nobody_on_the_default_rules(text):
    settings = load_settings(environ={})
    result = default_router().classify(message(text))
    assert result.urgency not in settings.router.page_urgencies and "safety" not in result.categories


@pytest.mark.parametrize("text", ["My dryer caught fire", "The charger started smoking on my desk",
                                  "There was smoke coming out of the oven"])
def test_a_fire_or_smoke_hazard_is_paged_on_the_default_rules(text):
    settings = load_settings(environ={})
    result = default_router().classify(message(text))
    assert result.urgency in settings.router.page_urgencies and result.categories[0] == "safety"
    assert result.reasons[0].source == "rule" and result.reasons[0].name == "safety.fire"


@pytest.mark.parametrize(("rule", "text"), [
    ("safety.fire", "Im Keller brennt es nicht mehr nur ein bisschen: es brennt, überall Rauchentwicklung!"),
    ("safety.fire", "La stufa che ci avete venduto ha preso fuoco in salotto"),
    ("safety.fire", "Sale humo del enchufe desde que vino su técnico"),
    ("safety.fire", "Le radiateur a pris feu cette nuit"),
    ("safety.fire", "A geladeira pegou fogo na cozinha"),
    ("safety.hazard", "Seit gestern Gasgeruch im Treppenhaus, der Hausmeister reagiert nicht"),
    ("safety.hazard", "Mi hijo está en urgencias por su producto"),
    ("safety.hazard", "Ma fille a perdu connaissance après avoir mangé votre plat"),
    ("safety.hazard", "Mio padre è al pronto soccorso dopo la vostra consegna"),
    ("legal.threat", "Mein Anwalt wird Sie verklagen"),
    ("legal.threat", "Voy a demandarles, ya hablé con mi abogado"),
    ("legal.threat", "Mon avocat vous enverra une mise en demeure"),
    ("legal.threat", "Il mio avvocato vi farà causa"),
    ("legal.threat", "Vou processar vocês, meu advogado já sabe"),
    ("regulatory.authority", "J'ai saisi la CNIL"),
    ("regulatory.authority", "Ho segnalato tutto al Garante della privacy"),
    ("regulatory.authority", "Vou reclamar no Procon"),
    ("harassment.discrimination", "Der Verkäufer hat mich rassistisch beleidigt"),
    ("harassment.discrimination", "El encargado acosa a las cajeras"),
    ("financial.fraud", "C'est une arnaque, 400 euros prélevés"),
    ("financial.fraud", "Questa è una truffa"),
    ("financial.fraud", "Me estafaron con una tarjeta regalo falsa"),
    ("safety.fire", "De wasdroger staat in brand en de rookmelder gaat af"),
    ("safety.hazard", "Mijn zoon ligt in het ziekenhuis na jullie product"),
    ("legal.threat", "Mijn advocaat start een rechtszaak"),
    ("financial.fraud", "Dit is oplichting, 300 euro onterecht afgeschreven"),
    ("safety.threat", "Ich weiß, wo Sie wohnen. Überlegen Sie sich das gut."),
    ("privacy.exposure", "In meinem Konto sehe ich die Daten anderer Kunden"),
    ("privacy.exposure", "Hubo una filtración de datos y nadie nos avisó"),
    ("safety.hazard", "Mon fils a avalé une pile de votre télécommande"),
    ("safety.threat", "Sé dónde vive su gerente"),
    ("safety.threat", "Je sais où vous habitez, vous allez le regretter"),
    ("safety.hazard", "Die Apotheke hat mir das falsche Medikament gegeben"),
    ("safety.hazard", "Había vidrio en la comida de mi hijo"),
    ("safety.hazard", "Mio figlio ha avuto una reazione allergica al vostro biscotto"),
    ("harassment.discrimination", "Le vendeur m'a crié : retourne dans ton pays"),
    ("harassment.discrimination", "De bezorger riep: ga terug naar je eigen land"),
])
def test_the_default_rules_name_their_words_in_six_more_languages(rule, text):
    result = default_router().classify(message(text))
    assert result.reasons[0].source == "rule" and result.reasons[0].name == rule
    assert result.urgency in load_settings(environ={}).router.page_urgencies


@pytest.mark.parametrize("text", ["Strong gas smell in the flat since your engineer left",
                                  "I can smell gas in the kitchen after the hob was fitted",
                                  "The new boiler is leaking gas",
                                  "It smells of gas near the meter you replaced"])
def test_the_default_rules_know_how_people_say_they_smell_gas(text):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency) == ("safety.hazard", "critical")


@pytest.mark.parametrize("text", [
    "@acme I will come to your office and make you pay for this, watch your back",
    "Refund me or I'll find out where your manager lives, you’ve been warned",
    "I'm going to come down there and hurt whoever is on the desk",
    "If this isn't fixed today I will kill you all",
])
def test_a_threat_of_violence_is_critical_on_the_default_rules(text):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency, result.categories[0]) == ("safety.threat", "critical", "safety")


@pytest.mark.parametrize("text", ["If I carry this box up the stairs I'll hurt my back, please deliver it inside",
                                  "This delay is killing me, where is my order?",
                                  "I know where your shop is, I'll bring it back tomorrow",
                                  "Your prices will kill your business, just saying",
                                  "I'll shoot you an email with the order number tomorrow"])
def test_words_of_violence_that_threaten_nobody_are_no_threat(text):
    result = default_router().classify(message(text))
    assert "safety.threat" not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize(("text", "rule", "category"), [
    ("Your pharmacy gave me the wrong medication and I took it for three days", "safety.hazard", "safety"),
    ("I found glass in the baby food jar I bought yesterday", "safety.hazard", "safety"),
    ("My daughter had an allergic reaction to the 'nut free' cake", "safety.hazard", "safety"),
    ("@acme my toddler swallowed a button battery from your toy remote, we are at A&E now", "safety.hazard", "safety"),
    ("My son swallowed one of the magnets from your building set", "safety.hazard", "safety"),
    ("Your password reset page shows other customers' names and addresses", "privacy.exposure", "privacy"),
    ("I received someone else's bank statement in my online account", "privacy.exposure", "privacy"),
    ("Your store manager told me to go back to my own country", "harassment.discrimination", "harassment"),
    ("Your delivery driver insulted me and swore at me in front of my kids", "harassment.discrimination",
     "harassment"),
    ("Votre livreur m’a insultée devant mes enfants", "harassment.discrimination", "harassment"),
    ("Der Fahrer hat mich beschimpft", "harassment.discrimination", "harassment"),
])
def test_harm_the_model_is_known_to_miss_is_paged_on_the_default_rules(text, rule, category):
    result = default_router().classify(message(text))
    assert result.reasons[0].name == rule and category in result.categories
    assert result.urgency in load_settings(environ={}).router.page_urgencies


@pytest.mark.parametrize("text", ["I received another customer's order instead of mine",
                                  "My payment went into someone else's account",
                                  "The battery in my laptop swells up",
                                  "Where can I buy a button battery for the remote?",
                                  "You delivered the wrong tablets, I ordered the 10-inch ones",
                                  "The glass table top arrived scratched and a piece of glass is missing",
                                  "I felt insulted by your offer of a 5 euro voucher"])
def test_near_misses_of_those_phrases_fire_none_of_their_rules(text):
    result = default_router().classify(message(text))
    assert not ({"privacy.exposure", "safety.hazard", "harassment.discrimination"}
                & {reason.name for reason in result.reasons})


@pytest.mark.parametrize(("text", "rule", "urgency"), [
    ("The security guard grabbed me and pushed me out of the shop", "safety.assault", "critical"),
    ("The bailiff you sent pushed my mother and she fell", "safety.assault", "critical"),
    ("Your driver hit me with his van door and drove off", "safety.assault", "critical"),
    ("The bouncer kicked my son while he was on the floor", "safety.assault", "critical"),
    ("Your security man hit me in the face", "safety.assault", "critical"),
    ("A man threatened me with a knife outside your store and your staff did nothing", "safety.assault",
     "critical"),
    ("Der Fahrer hat mich geschlagen", "safety.assault", "critical"),
    ("El repartidor me empujó contra la puerta", "safety.assault", "critical"),
    ("Votre agent de sécurité m'a frappée", "safety.assault", "critical"),
    ("Il fattorino mi ha colpito con la porta del furgone", "safety.assault", "critical"),
    ("Your driver threatened me when I asked him to wait for a signature", "harassment.intimidation", "high"),
    ("Your collector keeps threatening me over a bill I already paid", "harassment.intimidation", "high"),
    ("Your agent attacked me verbally on the phone", "harassment.intimidation", "high"),
    ("Votre livreur m’a menacée devant chez moi", "harassment.intimidation", "high"),
    ("Il tecnico mi ha minacciato quando ho chiesto la ricevuta", "harassment.intimidation", "high"),
    ("De monteur heeft me bedreigd", "harassment.intimidation", "high"),
])
def test_violence_and_threats_against_a_customer_are_paged_on_the_default_rules(text, rule, urgency):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency) == (rule, urgency) and "harassment" in result.categories


@pytest.mark.parametrize("text", ["They hit me with a £40 late fee for a parcel that never came",
                                  "The salesman pushed me into a contract I did not want",
                                  "Please hit me up when the blue one is back in stock",
                                  "It only hit me at home that the charger was the wrong one",
                                  "Honestly man it hit me hard when I saw the bill",
                                  "Your app kicked me out three times while I was paying",
                                  "Ce qui m'a frappé, c'est la lenteur du service",
                                  "Mi ha colpito la gentilezza del vostro personale",
                                  "La factura me pegó un susto tremendo",
                                  "Me bateu uma saudade da loja antiga",
                                  "The storm hit my mum's street hardest, can you reschedule the delivery?",
                                  "Your ads keep attacking me online, every page I open",
                                  "My daughter pushed me to complain, the jacket fell apart in a week"])
def test_a_fee_a_sales_push_or_an_ad_is_no_assault(text):
    result = default_router().classify(message(text))
    assert "safety.assault" not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize(("text", "rule", "category"), [
    ("The staff at the Leeds branch refused to serve me because I'm in a wheelchair", "harassment.discrimination",
     "harassment"),
    ("The driver wouldn't let me board because of my guide dog", "harassment.discrimination", "harassment"),
    ("The bouncer told us to leave because we are gay", "harassment.discrimination", "harassment"),
    ("The taxi refused to take us because my wife wears a hijab", "harassment.discrimination", "harassment"),
    ("The delivery man keeps texting me asking me out", "harassment.sexual", "harassment"),
    ("Your engineer made inappropriate comments about my body while fixing the boiler", "harassment.sexual",
     "harassment"),
    ("The courier followed me home from the depot", "harassment.sexual", "harassment"),
    ("Someone used my card on your site for 5 orders I never placed", "financial.fraud", "financial"),
    ("There are three payments I didn't authorise on my statement", "financial.fraud", "financial"),
    ("The lift in your store is broken and my mum is stuck inside", "safety.trapped", "safety"),
    ("The elevator got stuck with us in it for 40 minutes and the alarm does nothing", "safety.trapped", "safety"),
    ("The battery exploded in my hand while it was charging", "safety.hazard", "safety"),
    ("I think the boiler is going to explode, it keeps banging", "safety.hazard", "safety"),
    ("There was an explosion in the kitchen after your engineer left", "safety.hazard", "safety"),
    ("The chicken I bought yesterday was raw in the middle and now my whole family is vomiting", "safety.hazard",
     "safety"),
    ("My baby threw up all night after the new formula", "safety.hazard", "safety"),
    ("The nurse at your clinic gave my daughter double the dose", "safety.hazard", "safety"),
    ("Your support agent laughed at my stammer on the phone", "harassment.discrimination", "harassment"),
    ("Your agent told my 80 year old mum she'd go to prison if she didn't pay today", "harassment.intimidation",
     "harassment"),
    ("I'm reporting you to Ofcom over these silent calls", "regulatory.authority", "regulatory"),
    ("This has gone to the ICO now", "regulatory.authority", "regulatory"),
])
def test_refusals_for_who_someone_is_advances_fraud_a_lift_and_explosions_are_paged(text, rule, category):
    result = default_router().classify(message(text))
    assert result.reasons[0].name == rule and category in result.categories
    assert result.urgency in load_settings(environ={}).router.page_urgencies


@pytest.mark.parametrize(("text", "rule"), [
    ("The manager refused to serve me because I was rude", "harassment.discrimination"),
    ("They refused my refund because the blind was already fitted", "harassment.discrimination"),
    ("The app didn't load because the screen was black", "harassment.discrimination"),
    ("The driver keeps texting me asking where to leave the parcel", "harassment.sexual"),
    ("Your staff were touching my items without gloves", "harassment.sexual"),
    ("I used my card on your site and it was declined", "financial.fraud"),
    ("Your lift is stuck on the 4th floor again", "safety.trapped"),
    ("The lift has been out of order for weeks, my dad is stuck in the flat", "safety.trapped"),
    ("I feel like I'm going to explode with how frustrated I am", "safety.hazard"),
    ("My inbox exploded with your spam this week", "safety.hazard"),
    ("My phone blew up with messages from your app at 3am", "safety.hazard"),
    ("Honestly an explosion of flavour, well done", "safety.hazard"),
    ("The food was so bad I nearly threw up", "safety.hazard"),
    ("Double the dose of caffeine in this can, love it", "safety.hazard"),
    ("They mocked my order on the receipt", "harassment.discrimination"),
    ("I told him I'd go to jail before paying this bill", "harassment.intimidation"),
])
def test_their_near_misses_fire_none_of_those_rules(text, rule):
    result = default_router().classify(message(text))
    assert rule not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize(("text", "opt_out"), [("Stop contacting me about this offer", True),
                                             ("Do not text me again", True),
                                             # Calls are another channel: this one still hears back.
                                             ("Please stop calling me and fix my bill", False)])
def test_asking_not_to_be_contacted_is_an_opt_out_and_not_to_be_called_is_not(text, opt_out):
    assert default_router().classify(message(text)).opt_out is opt_out


def test_someone_who_already_unsubscribed_and_still_gets_mail_is_an_opt_out():
    result = default_router().classify(message("I keep getting your marketing texts even though I unsubscribed twice"))
    assert result.opt_out and "regulatory" in result.categories


@pytest.mark.parametrize("text", [
    "There is black mould all over the bedroom of the flat you manage and my baby is wheezing",
    "Mould everywhere in the bathroom since the leak you never fixed",
    "Your electrician left exposed wires in the hallway",
    "My daughter's car seat was recalled but you never told us",
    "Im Kinderzimmer ist schwarzer Schimmel an der Wand",
])
def test_a_lasting_hazard_before_anyone_is_hurt_is_high_on_the_default_rules(text):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency, result.categories[0]) == ("safety.risk", "high", "safety")


@pytest.mark.parametrize("text", ["The bread I bought yesterday was mouldy", "I don't recall ordering this",
                                  "I was recalled to the office so I missed the delivery",
                                  "The mould for the cake tin arrived bent"])
def test_mouldy_bread_and_a_memory_are_no_lasting_hazard(text):
    result = default_router().classify(message(text))
    assert "safety.risk" not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize("text", [
    "Praying for my brother, he is trapped under the rubble on 5th street, please send help",
    "My mum has been stuck in the lift at Tower B for 40 minutes and nobody answers the alarm",
    "Wir stecken seit einer halben Stunde im Aufzug fest",
    "Mi madre está atrapada en el ascensor del portal",
    "Ma fille est coincée dans l'ascenseur depuis une heure",
    "Mio figlio è bloccato nell’ascensore del vostro centro commerciale",
    "Minha avó está presa no elevador do prédio",
    "Mijn vader zit al een uur vast in de lift",
])
def test_someone_trapped_is_critical_on_the_default_rules(text):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency, result.categories[0]) == ("safety.trapped", "critical", "safety")


@pytest.mark.parametrize("text", ["I feel trapped in this contract you sold me", "My refund is stuck in your system",
                                  "Der Kellner hat mir Kaffee über die Jacke verschüttet",
                                  "Ik ben bedolven onder het werk, maar mijn pakket is nog steeds niet bezorgd"])
def test_being_trapped_only_in_a_manner_of_speaking_is_no_trapped_person(text):
    result = default_router().classify(message(text))
    assert "safety.trapped" not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize("text", ["L'avocat était pourri et le pain rassis",  # the avocado, not a lawyer
                                  "J'ai attendu au feu rouge devant votre magasin pendant dix minutes",
                                  "La salsa se cocina a fuego lento, pero la mía llegó fría",
                                  "Isso vai demandar tempo, mas meu pedido atrasou demais",
                                  "Ich habe keine E-Mails mehr bekommen, seit ich umgezogen bin",
                                  "I have no qualms about the price, but the parcel was late",
                                  "Your brand used to stand for quality, and my order is late again"])
def test_words_that_only_look_like_those_fire_no_rule(text):
    result = default_router().classify(message(text))
    assert [reason for reason in result.reasons if reason.source == "rule"] == [] and not result.opt_out


@pytest.mark.parametrize("text", ["Bitte keine Werbung mehr an diese Adresse", "Dejen de enviarme correos",
                                  "Je veux me désinscrire de votre liste", "Cancellatemi dalla newsletter",
                                  "Parem de me mandar mensagens", "Schrijf me uit van de nieuwsbrief"])
def test_an_unsubscribe_demand_in_another_language_is_an_opt_out(text):
    result = default_router().classify(message(text))
    assert result.opt_out and "regulatory" in result.categories


@pytest.mark.parametrize("text", ["Ich habe mich nie angemeldet und bekomme jeden Tag Ihren Newsletter",
                                  "Nunca me registré en su web y me llegan correos", "Je ne me suis jamais inscrit",
                                  "Non mi sono mai iscritto a questa lista", "Nunca me cadastrei nesse site"])
def test_unwanted_mail_in_another_language_is_a_regulatory_complaint(text):
    result = default_router().classify(message(text))
    assert result.reasons[0].name == "regulatory.spam" and "regulatory" in result.categories


@pytest.mark.parametrize(("text", "rule", "urgency"), [
    ("I'm going to end it all if you don't sort out my benefits", "safety.hazard", "critical"),
    ("I don't want to live anymore after what your bailiffs did", "safety.hazard", "critical"),
    ("The flight attendant refused to let my diabetic son eat and he passed out", "safety.hazard", "critical"),
    ("Your pilot announced we were low on fuel and then the captain came out drunk", "safety.hazard", "critical"),
    ("The driver was on his phone the whole time and ran a red light with us in the back", "safety.risk", "high"),
    ("A scaffolding pole from your site fell onto the pavement next to my daughter", "safety.risk", "high"),
    ("There are needles in the children's play area of your park", "safety.risk", "high"),
    ("You cut off my gas supply and I have a newborn at home, it's freezing", "safety.vulnerable", "high"),
    ("I've been without water for four days and I'm disabled", "safety.vulnerable", "high"),
    ("My insulin was in the bag you lost and I have none left", "safety.vulnerable", "high"),
    ("The care home hasn't given my mum her medication for three days", "safety.vulnerable", "high"),
    ("The carer you sent left my dad on the floor for 6 hours", "safety.vulnerable", "high"),
    ("I was told to pay in gift cards by someone claiming to be from your company", "financial.fraud", "high"),
    ("Your security guard followed my son around the store because he's black", "harassment.discrimination",
     "high"),
    ("Your engineer left the gas hob on after the repair and the house filled with gas", "safety.hazard",
     "critical"),
    ("The baby formula tin had a piece of metal in it", "safety.hazard", "critical"),
    ("I found a needle in my sandwich", "safety.hazard", "critical"),
    ("The brakes on the e-bike I bought from you failed going downhill", "safety.hazard", "critical"),
    ("Your staff gave my child peanuts even though I told them about his allergy", "safety.risk", "high"),
    ("The handrail on your stairs came away and my grandad fell down the stairs", "safety.risk", "high"),
    ("My son cut his hand badly on the broken glass door at your store", "safety.risk", "high"),
    ("There's a strong chemical smell from your factory and my kids have headaches", "safety.risk", "high"),
    ("The child lock on the washing machine doesn't work and my toddler opened it mid-cycle", "safety.risk",
     "high"),
    ("The customer service rep called me a stupid cow", "harassment.discrimination", "high"),
    ("My daughter is being bullied by another kid on your platform and your moderators do nothing",
     "harassment.discrimination", "high"),
])
def test_a_life_at_risk_a_vulnerable_customer_and_an_impostor_are_paged(text, rule, urgency):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency) == (rule, urgency)


@pytest.mark.parametrize(("text", "rule"), [
    ("I don't want to live here anymore, the noise from your depot is awful", "safety.hazard"),
    ("I want to end my contract with you", "safety.hazard"),
    ("The driver was drunk with excitement about the match and forgot my parcel", "safety.hazard"),
    ("The price sign fell off the shelf", "safety.risk"),
    ("The knitting needles in your shop are overpriced", "safety.risk"),
    ("No hot water again, third time this month", "safety.vulnerable"),
    ("I ran out of patience with your app", "safety.vulnerable"),
    ("They left the parcel on the floor of the porch", "safety.vulnerable"),
    ("The guard followed me because I looked lost", "harassment.discrimination"),
    ("The gas hob on full power boils the pan in a minute", "safety.hazard"),
    ("The metal lid in the jar was rusty", "safety.hazard"),
    ("The brake light failed its MOT after your service", "safety.hazard"),
    ("Do your cookies contain allergens?", "safety.risk"),
    ("The parcel fell over in the van and the box is dented", "safety.risk"),
    ("I cut my hair short for the photo on your app", "safety.risk"),
    ("I called my mum a cow for buying from you", "harassment.discrimination"),
    ("They called me back after an hour", "harassment.discrimination"),
])
def test_near_misses_of_a_life_at_risk_fire_none_of_those_rules(text, rule):
    result = default_router().classify(message(text))
    assert rule not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize(("text", "rule", "urgency"), [
    ("The engineer went through my drawers while I was in the kitchen", "privacy.intrusion", "high"),
    ("The landlord's agent let himself into my flat without notice while I was asleep", "privacy.intrusion", "high"),
    ("The meter reader didn't show any ID and pushed his way into my house", "privacy.intrusion", "high"),
    ("Your driver took a photo of me through my window", "privacy.intrusion", "high"),
    ("Your employee sent me a friend request on Facebook after I complained", "privacy.intrusion", "high"),
    ("Ma mère est tombée dans vos escaliers et s'est cassé le poignet", "safety.risk", "high"),
    ("My dad broke his hip on your wet floor", "safety.risk", "high"),
    ("The pram wheel came off while I was crossing the road with my baby in it", "safety.risk", "high"),
    ("The balcony railing in the flat you rent me is loose and my toddler leans on it", "safety.risk", "high"),
    ("The new formula made my baby really ill, she can't keep anything down", "safety.risk", "high"),
    ("Mein Sohn hat sich an Ihrem Wasserkocher schwer verbrüht", "safety.hazard", "critical"),
])
def test_staff_in_a_customers_home_and_injuries_in_more_words_are_paged(text, rule, urgency):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency) == (rule, urgency)


@pytest.mark.parametrize(("text", "rule"), [
    ("The app went through my settings and reset them", "privacy.intrusion"),
    ("I took a photo of the damage for you", "privacy.intrusion"),
    ("You broke my heart with this ending", "safety.risk"),
    ("The label came off when I washed it", "safety.risk"),
    ("The balcony door is stiff", "safety.risk"),
    ("This ad made my husband sick of your brand", "safety.risk"),
])
def test_near_misses_of_an_intrusion_or_an_injury_fire_none_of_those_rules(text, rule):
    result = default_router().classify(message(text))
    assert rule not in [reason.name for reason in result.reasons]
